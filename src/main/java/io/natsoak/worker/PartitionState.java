package io.natsoak.worker;

import io.nats.client.MessageConsumer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** One partition this worker reads. Touched by the dispatcher, flusher, committer and handoff threads as noted. */
final class PartitionState {

    final int partition;
    /** Stream sequences at or below this may have been processed by a previous owner. */
    final long replayUntil;
    /** KV revision of this owner's last write of the position (revision-checked updates; under the state's monitor). */
    long revision;
    volatile long committed;
    /** Highest stream sequence whose receipt is stored (flusher thread writes). */
    volatile long processed;
    /** False once revoked or fenced: new messages are not taken. */
    volatile boolean accepting = true;
    /** False once fenced or overwritten: nothing more is receipted or committed. */
    volatile boolean owned = true;
    /** Dispatcher thread only. */
    long lastReadyAt;
    boolean firstSeen;
    volatile MessageConsumer consumer;

    /** Messages taken and not yet receipted or dropped. */
    private final AtomicInteger queued = new AtomicInteger();
    /** A release waits on this until {@link #queued} reaches zero; notified only then, so the hot path stays lock-free. */
    private final Object settledSignal = new Object();

    PartitionState(int partition, long committed, long replayUntil, long revision) {
        this.partition = partition;
        this.committed = committed;
        this.processed = committed;
        this.replayUntil = replayUntil;
        this.revision = revision;
    }

    /** A message was taken (dispatcher thread); counted before the accepting check, see {@link PartitionConsumers}. */
    void taken() {
        queued.incrementAndGet();
    }

    /** Taken messages were receipted or dropped; wakes a release waiting for the last one. */
    void settled(int messages) {
        if (queued.addAndGet(-messages) <= 0) {
            synchronized (settledSignal) {
                settledSignal.notifyAll();
            }
        }
    }

    /** True when every message taken has been receipted or dropped. */
    boolean allSettled() {
        return queued.get() <= 0;
    }

    /**
     * Waits until every message taken has been receipted or dropped, at most {@code timeout}, or
     * until {@code giveUp} says so or the thread is interrupted (a stop closing the handoff thread).
     * Woken by {@link #settled} (the count is checked under the monitor the notifier takes after
     * its decrement, so no wake-up is lost); {@code giveUp} is checked on each wake-up, which
     * comes at least every {@code recheck}.
     *
     * @return true when everything taken is settled
     */
    boolean awaitSettled(Duration timeout, Duration recheck, BooleanSupplier giveUp) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (settledSignal) {
            while (queued.get() > 0 && !giveUp.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                long nanos = Math.min(left, recheck.toNanos());
                settledSignal.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
            }
        }
        return allSettled();
    }
}

package io.natsoak.worker;

import java.time.Duration;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The messages being processed, released to the receipt flusher when their processing time is
 * over ({@link PendingMessage} orders them), with back-pressure: while {@code maxPending} are
 * queued (the flusher is behind, say through a receipts-stream failover) the dispatcher waits for
 * room, so its pulls stall and nothing piles up in memory. The wait is on a condition signalled
 * by every take and by {@link #close}, never a sleep.
 */
final class PendingQueue {

    /** A waiting dispatcher re-checks at least this often (a safety net; takes and close signal it at once). */
    private static final Duration RECHECK = Duration.ofMillis(200);

    private final DelayQueue<PendingMessage> queue = new DelayQueue<>();
    private final int maxPending;
    private final long recheckNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private volatile boolean closed;

    PendingQueue(int maxPending) {
        this(maxPending, RECHECK);
    }

    /** @param recheck how often a waiting dispatcher looks again without a signal (tests make it long, so only signals wake it) */
    PendingQueue(int maxPending, Duration recheck) {
        this.maxPending = maxPending;
        this.recheckNanos = recheck.toNanos();
    }

    /**
     * Waits while the queue is full, until a take makes room, the queue is closed, or the thread
     * is interrupted (the interrupt flag is kept). The caller adds its message either way: it
     * was counted as taken, and a closing flusher still drains it.
     */
    void awaitRoom() {
        lock.lock();
        try {
            while (queue.size() >= maxPending && !closed) {
                room.awaitNanos(recheckNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Adds a message; does not wait (call {@link #awaitRoom} first for back-pressure). */
    void add(PendingMessage message) {
        queue.add(message);
    }

    /** The next message whose processing is over, waiting at most {@code nanos}; null if none. Makes room for a waiting dispatcher. */
    PendingMessage poll(long nanos) throws InterruptedException {
        PendingMessage m = queue.poll(nanos, TimeUnit.NANOSECONDS);
        if (m != null) {
            signalRoom();
        }
        return m;
    }

    /** No more messages are taken; a dispatcher waiting for room stops waiting. The flusher drains what is queued. */
    void close() {
        closed = true;
        signalRoom();
    }

    /** Open again for a new start, empty. */
    void reset() {
        queue.clear();
        closed = false;
    }

    /** Drops whatever is still queued (a stop that could not flush it; it is read again by the next owner). */
    void clear() {
        queue.clear();
        signalRoom();
    }

    boolean closed() {
        return closed;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    private void signalRoom() {
        lock.lock();
        try {
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }
}

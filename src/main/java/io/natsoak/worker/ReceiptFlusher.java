package io.natsoak.worker;

import io.nats.client.JetStream;
import io.nats.client.PublishOptions;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.nats.Names;
import io.natsoak.nats.Retry;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * The {@code worker-receipts} thread: takes messages whose processing is over from the
 * {@link PendingQueue}, publishes them as receipt batches (up to {@code batchSize}, waiting at
 * most {@code linger}) with a PubAck and a message id of their own (a retried batch is stored
 * once), and only then advances each partition's processed position for the committer.
 * Messages of partitions the worker no longer owns are dropped: their new owner reads them again.
 */
final class ReceiptFlusher {

    private static final Logger LOG = Logger.getLogger(ReceiptFlusher.class);

    /** How the flusher reaches NATS and its worker; one per start of the worker. */
    record Wiring(JetStream js, Names names, String instance, String incarnation, Clock clock, Grants grants, WorkerMetrics metrics,
                  BooleanSupplier aborting, BiConsumer<String, Throwable> fail, Runnable batchStored, WithheldReceipts withheld) {
    }

    private final PendingQueue queue;
    private final Wiring w;
    private final int batchSize;
    private final long lingerNanos;
    private final Thread thread;
    private long batchCounter;

    ReceiptFlusher(String component, PendingQueue queue, int batchSize, Duration linger, Wiring wiring) {
        this.queue = queue;
        this.w = wiring;
        this.batchSize = batchSize;
        this.lingerNanos = linger.toNanos();
        this.thread = new NamedThreads(component, "receipts").newThread(this::flushLoop);
    }

    void start() {
        thread.start();
    }

    /**
     * Waits until the flusher has drained the closed queue (at most {@code patience}, twice: then
     * it is interrupted and given {@code patience} again to exit). {@code now}: interrupt at once
     * (an abort: nothing that NATS would have to answer is waited for).
     *
     * @return true when the flusher exited by itself with nothing left queued
     */
    boolean drainAndStop(Duration patience, boolean now) {
        try {
            if (now) {
                thread.interrupt();
            }
            thread.join(patience.toMillis());
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(patience.toMillis());
                return false;
            }
            return queue.isEmpty();
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void flushLoop() {
        List<PendingMessage> batch = new ArrayList<>(batchSize);
        try {
            while (!(queue.closed() && queue.isEmpty())) {
                PendingMessage first = queue.poll(lingerNanos);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + lingerNanos;
                while (batch.size() < batchSize) {
                    PendingMessage next = queue.poll(Math.max(0, deadline - System.nanoTime()));
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                flush(batch);
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Retry.Abandoned e) {
            LOG.warnf("worker %s: %s; %d processed messages are not receipted and will be read again", w.instance(), e.getMessage(), batch.size());
        } catch (RuntimeException e) {
            w.fail().accept("receipt flusher died", e);
        }
    }

    private void flush(List<PendingMessage> batch) throws Retry.Abandoned, InterruptedException {
        long nowMicros = w.clock().millis() * 1000;
        List<Receipt> receipts = new ArrayList<>(batch.size());
        List<PendingMessage> kept = new ArrayList<>(batch.size());
        for (PendingMessage m : batch) {
            if (!w.grants().mayReceipt(m.state())) {
                // Moved away (fenced) while it was processed: its new owner reads it again.
                m.state().settled(1);
                continue;
            }
            kept.add(m);
            if (m.sequence() > 0 && !w.withheld().withhold(m.partition(), m.sequence())) {
                receipts.add(new Receipt(m.partition(), m.sequence(), m.deliveryCount(), Math.max(0, nowMicros - m.intendedAtMicros())));
            }
        }
        if (!receipts.isEmpty()) {
            publish(new ReceiptBatch(w.instance(), receipts).encode());
            batchStored();
        }
        for (PendingMessage m : kept) {
            PartitionState state = m.state();
            if (m.streamSequence() > state.processed) {
                state.processed = m.streamSequence();
            }
            state.settled(1);
        }
        w.metrics().processed.increment(kept.size());
    }

    /** Publishes one batch and returns once the receipts stream has stored it (PubAck), retrying through failovers. */
    private void publish(byte[] payload) throws Retry.Abandoned, InterruptedException {
        PublishOptions opts = PublishOptions.builder()
                .expectedStream(w.names().receiptsStream())
                .messageId(w.incarnation() + "-" + (++batchCounter))
                .build();
        Retry.until("receipt publish", () -> Thread.currentThread().isInterrupted() || w.aborting().getAsBoolean(),
                () -> w.js().publish(w.names().receiptsSubject(), payload, opts),
                (what, failures, error) -> {
                    w.metrics().receiptRetries.increment();
                    if (failures % 10 == 0) {
                        LOG.warnf("worker %s: %s failed (%s); retrying", w.instance(), what, error.toString());
                    }
                });
    }

    /**
     * A receipt batch is stored: its PubAck arrived. The one place where that is known (the
     * batch's partitions advance right after); a signal "this worker has done real work" belongs here.
     */
    private void batchStored() {
        w.metrics().receiptBatches.increment();
        w.batchStored().run();
    }
}

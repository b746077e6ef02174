package io.natsoak.verifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.config.ConfigValidator;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Saves the verifier's state ({@link AppliedReceipts}: the verification and its receipts-stream
 * position) in NATS every checkpoint interval on its own {@code verifier-checkpoint} thread, and
 * restores it when a verifier process starts. Lives as long as the verifier (its meters too);
 * {@link #start}/{@link #stop} follow the verifier's lifecycle.
 *
 * <p>A checkpoint that cannot be written is only retried at the next interval: the previous one
 * stays valid (it is older, so a restart reads more of the receipts stream again, nothing else).
 */
final class Checkpointer {

    private static final Logger LOG = Logger.getLogger(Checkpointer.class);

    private final String component;
    private final String runId;
    private final int partitions;
    private final int producers;
    private final Duration interval;
    private final AppliedReceipts applied;
    private final Clock clock;
    private final Counter written;
    private final Counter failed;
    private final AtomicLong size = new AtomicLong();
    private volatile CheckpointStore store;
    private OwnedExecutor.Scheduler scheduler;
    /** Checkpoint thread only (and stop, after that thread is gone). */
    private int failuresInARow;
    private boolean firstWritten;
    /** Timings of the last checkpoint written, for the log of the last one (capture holds the dispatcher up). */
    private long captureNanos;
    private long encodeNanos;
    private long storeNanos;

    Checkpointer(String component, NatsoakConfig config, AppliedReceipts applied, Clock clock, MeterRegistry registry) {
        this.component = component;
        this.runId = config.runId();
        this.partitions = config.partitions().count();
        this.producers = config.producer().count();
        this.interval = config.verifier().checkpointInterval();
        this.applied = applied;
        this.clock = clock;
        this.written = Counter.builder(MetricNames.VERIFIER_CHECKPOINTS)
                .description("Checkpoints of the verifier's state written to NATS").register(registry);
        this.failed = Counter.builder(MetricNames.VERIFIER_CHECKPOINT_FAILURES)
                .description("Checkpoints of the verifier's state that could not be written (retried at the next interval)").register(registry);
        Gauge.builder(MetricNames.VERIFIER_CHECKPOINT_SIZE, size, AtomicLong::get).baseUnit("bytes")
                .description("Size of the last checkpoint written (compressed)").register(registry);
    }

    /**
     * Reads the newest checkpoint and restores it, before the verifier reads anything.
     *
     * @return true if one was restored; false if there is none (the receipts stream is then read from its start)
     * @throws CheckpointException if there is one and it must not be used (damaged, foreign, inconsistent)
     */
    boolean restore(CheckpointStore from) throws Exception {
        // Retried through failovers; a checkpoint that is there but wrong is not retried.
        CheckpointException[] unusable = new CheckpointException[1];
        Optional<byte[]> stored = Retry.within(Provisioner.START_PATIENCE, "reading the verifier checkpoint", () -> {
            try {
                return from.read();
            } catch (CheckpointException e) {
                unusable[0] = e;
                return Optional.empty();
            }
        });
        if (unusable[0] != null) {
            throw refusal(from, unusable[0].getMessage());
        }
        if (stored.isEmpty()) {
            LOG.infof("no verifier checkpoint in stream %s: reading the receipts stream from its start", from.stream());
            return false;
        }
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.decode(stored.get());
            checkpoint.checkBelongsTo(runId, partitions, producers);
            applied.restore(checkpoint);
        } catch (CheckpointException e) {
            throw refusal(from, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw refusal(from, "its state is inconsistent (" + e.getMessage() + ")");
        }
        Verification.Snapshot s = checkpoint.state();
        long verified = 0;
        long gaps = 0;
        for (PartitionLedger.State l : s.ledgers()) {
            verified += l.verified();
            gaps += l.gapCount();
        }
        LOG.infof("restored the verifier checkpoint (%d bytes, written %d ms ago): %d verified, %d gap(s), %d received; "
                        + "reading the receipts stream after sequence %d",
                stored.get().length, clock.millis() - checkpoint.writtenAtMillis(), verified, gaps, s.received(),
                checkpoint.receiptsPosition());
        return true;
    }

    private static CheckpointException refusal(CheckpointStore from, String reason) {
        return new CheckpointException("the verifier checkpoint in stream " + from.stream() + " cannot be used: " + reason
                + "; refusing to start, since starting empty would report everything verified before as lost"
                + " (to start over from the receipts stream, purge it: nats stream purge " + from.stream() + ")");
    }

    void start(CheckpointStore to) {
        store = to;
        scheduler = OwnedExecutor.scheduler(component, "checkpoint");
        long ms = interval.toMillis();
        scheduler.executor().scheduleWithFixedDelay(this::writeNow, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** @param writeLast write one last checkpoint (a graceful stop; not when the connection was cut) */
    void stop(boolean writeLast) {
        if (scheduler != null) {
            scheduler.close();
            scheduler = null;
        }
        if (writeLast && store != null && writeNow()) {
            LOG.infof("last verifier checkpoint written on stop: %d bytes (%d partitions), captured in %.1f ms, encoded in %.1f ms, stored in %.1f ms",
                    size.get(), partitions, captureNanos / 1e6, encodeNanos / 1e6, storeNanos / 1e6);
        }
        store = null;
    }

    /** Captures and writes one checkpoint; a failure is logged (once per streak) and counted. True if written. */
    boolean writeNow() {
        CheckpointStore to = store;
        if (to == null) {
            return false;
        }
        try {
            long t0 = System.nanoTime();
            Checkpoint checkpoint = applied.capture(runId, clock.millis());
            long t1 = System.nanoTime();
            byte[] data = checkpoint.encode();
            long t2 = System.nanoTime();
            to.write(data);
            captureNanos = t1 - t0;
            encodeNanos = t2 - t1;
            storeNanos = System.nanoTime() - t2;
            written.increment();
            size.set(data.length);
            if (failuresInARow > 0) {
                LOG.infof("verifier checkpoint written again after %d failed attempt(s)", failuresInARow);
            } else if (!firstWritten) {
                LOG.infof("first verifier checkpoint written (%d bytes); every %s from now on", data.length, ConfigValidator.human(interval));
            }
            firstWritten = true;
            failuresInARow = 0;
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException || Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
                // Stopping: the stop writes the last checkpoint itself when it may.
                Thread.currentThread().interrupt();
                LOG.debugf("checkpoint write interrupted by a stop: %s", e);
                return false;
            }
            failed.increment();
            if (failuresInARow++ == 0) {
                LOG.warnf("cannot write the verifier checkpoint (%s); trying again every %s, the previous one stays valid", e,
                        ConfigValidator.human(interval));
            }
            return false;
        }
    }
}

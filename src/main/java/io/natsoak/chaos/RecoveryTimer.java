package io.natsoak.chaos;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.ChaosLogEntry;
import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.model.Progress;
import io.natsoak.nats.Dispatchers;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The chaos operator's recovery timing: follows the verifier's progress, hands every injected
 * fault to a {@link RecoveryWatch} and, once the run is healthy again (or the limit passed),
 * records the fault's recovery: the histogram {@code natsoak_chaos_fault_recovery_seconds}, a
 * log line, and a recovery entry in the chaos log, which the report joins to its fault. Owns the
 * thread {@code chaos-recovery-1}; the watch is only touched there.
 */
final class RecoveryTimer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RecoveryTimer.class);
    /** A fault the run has not recovered from after this long counts as not recovered. */
    static final Duration LIMIT = Duration.ofMinutes(5);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(1);
    /** Bucket bounds (seconds) of the recovery histogram. */
    private static final double[] BUCKETS = {2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300};

    private final RecoveryWatch watch;
    private final MeterRegistry registry;
    private final Clock clock;
    private final BooleanSupplier over;
    private final Consumer<ChaosLogEntry> log;
    private final OwnedExecutor.Scheduler thread;
    private final Connection connection;
    private final Dispatcher dispatcher;

    /**
     * @param over true once the run is over: producers stop, so nothing pending can recover, and nothing is timed any more
     * @param log  appends an entry to the chaos log (blocking, with retries)
     */
    RecoveryTimer(String component, Connection connection, Names names, NatsHealth health, MeterRegistry registry, Clock clock,
                  BooleanSupplier over, Consumer<ChaosLogEntry> log) {
        this.watch = new RecoveryWatch(LIMIT.toMillis(), health::problem);
        this.registry = registry;
        this.clock = clock;
        this.over = over;
        this.log = log;
        this.thread = OwnedExecutor.scheduler(component, "recovery");
        thread.executor().scheduleWithFixedDelay(this::check, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        this.connection = connection;
        this.dispatcher = connection.createDispatcher(this::onProgress);
        dispatcher.subscribe(names.progressSubject());
    }

    /** Starts timing an injected fault (any thread). */
    void injected(ChaosLogEntry fault) {
        try {
            thread.executor().execute(() -> watch.injected(fault, fault.at()));
        } catch (RejectedExecutionException e) {
            // closing: the operator is stopping, nothing more is timed
        }
    }

    private void onProgress(Message msg) {
        try {
            Progress p = Json.read(msg.getData(), Progress.class);
            thread.executor().execute(() -> watch.onProgress(p));
        } catch (MalformedMessageException e) {
            LOG.debugf("ignoring malformed progress: %s", e.getMessage());
        } catch (RejectedExecutionException e) {
            // closing: the last points do not matter any more
        }
    }

    private void check() {
        try {
            if (over.getAsBoolean()) {
                int abandoned = watch.abandon();
                if (abandoned > 0) {
                    LOG.infof("chaos: the run is over; %d fault(s) still recovering are not timed", abandoned);
                }
                return;
            }
            for (RecoveryWatch.Done<ChaosLogEntry> d : watch.<ChaosLogEntry>check(clock.millis())) {
                record(d.fault(), d);
            }
        } catch (RuntimeException e) {
            LOG.warnf("chaos: timing recoveries failed (%s); will try again", e.toString());
        }
    }

    private void record(ChaosLogEntry fault, RecoveryWatch.Done<ChaosLogEntry> d) {
        ChaosLogEntry entry = ChaosLogEntry.recoveryOf(fault, clock.millis(), d.recovery());
        if (d.recovery().recovered()) {
            DistributionSummary.builder(MetricNames.CHAOS_FAULT_RECOVERY).baseUnit("seconds").tag(MetricNames.TAG_EVENT, fault.event())
                    .description("Time from an injected fault until the cluster was current and publishing and verifying were back at rate")
                    .serviceLevelObjectives(BUCKETS).register(registry).record(d.recovery().healthySeconds());
        } else {
            registry.counter(MetricNames.CHAOS_FAULT_UNRECOVERED, MetricNames.TAG_EVENT, fault.event()).increment();
        }
        LOG.infof("chaos step=%d event=%s target=%s recovery=\"%s\"", fault.step(), fault.event(), fault.target().isEmpty() ? "-" : fault.target(),
                entry.detail());
        log.accept(entry);
    }

    @Override
    public void close() {
        Dispatchers.close(connection, dispatcher);
        thread.close();
    }
}

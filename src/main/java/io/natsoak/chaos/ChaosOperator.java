package io.natsoak.chaos;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.natsoak.config.ChaosConfig;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.control.ControlClient;
import io.natsoak.control.ControlSender;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.ChaosLogEntry;
import io.natsoak.nats.ChaosLog;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import io.natsoak.nats.RunClock;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chaos operator: runs the {@link ChaosSchedule}, has the {@link FaultInjector} inject each
 * fault through a {@link ChaosBackend}, and records every one four ways: a counter by event and
 * outcome, a structured log line, an entry in the NATS chaos log (the verifier's report lists
 * them) and, where the backend has one, a Kubernetes Event on the victim. The
 * {@link RecoveryTimer} then times how long the run takes to be healthy again after each injected fault.
 * <p>
 * Pause and resume: the operator is the component {@code chaos} of its control server, so
 * {@code stop} on {@code natsoak.<run>.control.chaos[.<instance>]} pauses it (reverting what can be
 * reverted, e.g. a leak canary) and {@code start} resumes the same seeded sequence where it left off.
 * With {@code natsoak.chaos.enabled=false} it starts, says so, and injects nothing.
 * Faults stop at the end of a timed run.
 */
public final class ChaosOperator extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(ChaosOperator.class);
    public static final String COMPONENT = "chaos";
    /**
     * "No responders" from a target is retried for 2 s (5 tries): long enough for a subscription
     * to reach every node, short enough that a target that is gone costs the schedule little.
     */
    static final ControlClient.NoResponders CONTROL_RETRY = new ControlClient.NoResponders(Duration.ofSeconds(2), Duration.ofMillis(500));
    /** How long appending to the chaos log may retry (covers a NATS leader failover). */
    private static final Duration LOG_PATIENCE = Duration.ofSeconds(30);

    private final NatsoakConfig config;
    private final ChaosBackend backend;
    private final MeterRegistry registry;
    private final Clock clock;
    private final Names names;
    private final String instance;
    private final ChaosSchedule schedule;
    private final Safety safety;
    private final AtomicInteger active = new AtomicInteger();

    private OwnedConnection link;
    private OwnedExecutor.Scheduler scheduler;
    private FaultInjector injector;
    private RunClock run;
    private ScheduledFuture<?> nextFault;
    private RecoveryTimer recovery;

    public ChaosOperator(NatsoakConfig config, String instance, ChaosBackend backend, MeterRegistry registry, Clock clock) {
        super(COMPONENT);
        this.config = config;
        this.instance = instance;
        this.backend = backend;
        this.registry = registry;
        this.clock = clock;
        this.names = new Names(config.runId());
        ChaosConfig chaos = config.chaos();
        long seed = chaos.seed().orElseGet(() -> new SecureRandom().nextLong());
        Map<ChaosEvent, Integer> weights = new EnumMap<>(ChaosEvent.class);
        for (ChaosEvent e : ChaosEvent.values()) {
            weights.put(e, e.weight(chaos));
        }
        this.schedule = new ChaosSchedule(seed, weights, chaos.intervalMin(), chaos.intervalMax());
        this.safety = new Safety(chaos.minAge(), chaos.minReady(), clock);
        for (ChaosEvent e : ChaosEvent.values()) {
            for (Outcome o : Outcome.values()) {
                // Registered at 0, so increase() sees the first fault of each kind.
                registry.counter(MetricNames.CHAOS_EVENTS, MetricNames.TAG_EVENT, e.wire(), MetricNames.TAG_OUTCOME, o.wire());
            }
        }
        Gauge.builder(MetricNames.CHAOS_ACTIVE, active, AtomicInteger::get)
                .description("1 while the chaos operator schedules faults; 0 when disabled, paused or the run is over")
                .register(registry);
    }

    public ChaosBackend backend() {
        return backend;
    }

    public ChaosSchedule schedule() {
        return schedule;
    }

    public Safety safety() {
        return safety;
    }

    @Override
    protected void doStart() throws Exception {
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        Connection connection = link.connection();
        new Provisioner(connection, names, config.nats()).ensureAllPatiently();
        Retry.within(Provisioner.START_PATIENCE, "creating the chaos log", () -> {
            ChaosLog.ensureStream(connection, names, config.nats());
            return null;
        });
        run = Retry.within(Provisioner.START_PATIENCE, "joining the run",
                () -> RunClock.join(connection, names, config.duration(), clock));
        workDone(); // the operator's unit of work is deciding; from here on it only waits for its schedule
        scheduler = OwnedExecutor.scheduler(name(), "schedule");
        NatsHealth health = new NatsHealth(connection, names, config.nats().replicas());
        injector = new FaultInjector(config, backend, new ControlClient(connection, new ControlSender("chaos", instance), CONTROL_RETRY),
                new LeaderLookup(connection, config.runId()), health, safety, schedule, clock, scheduler.executor(), run);
        if (!config.chaos().enabled()) {
            LOG.infof("chaos is disabled (natsoak.chaos.enabled=false): no faults will be injected");
            return;
        }
        if (schedule.roundSize() == 0) {
            LOG.infof("chaos: every event weight is 0: no faults will be injected");
            return;
        }
        append(new ChaosLogEntry(clock.millis(), schedule.seed(), 0, backend.name(), ChaosLogEntry.SCHEDULE_STARTED, "", "info",
                "interval " + config.chaos().intervalMin().toSeconds() + "-" + config.chaos().intervalMax().toSeconds() + " s, weights "
                        + weightsText() + (config.chaos().dryRun() ? ", dry run" : "")));
        LOG.infof("chaos schedule started: seed %d (natsoak.chaos.seed=%d reproduces it), backend %s, interval %s to %s, weights %s%s",
                schedule.seed(), schedule.seed(), backend.name(), config.chaos().intervalMin(), config.chaos().intervalMax(), weightsText(),
                config.chaos().dryRun() ? ", DRY RUN" : "");
        recovery = new RecoveryTimer(name(), connection, names, health, registry, clock, this::over, this::append);
        active.set(1);
        scheduleNext();
    }

    private String weightsText() {
        StringBuilder sb = new StringBuilder();
        schedule.weights().forEach((e, w) -> {
            if (w > 0) {
                sb.append(sb.length() == 0 ? "" : " ").append(e.wire()).append('=').append(w);
            }
        });
        return sb.toString();
    }

    private void scheduleNext() {
        if (stopping() || over()) {
            if (over()) {
                active.set(0);
                LOG.infof("chaos: the run is over; no more faults");
            }
            return;
        }
        Optional<ChaosSchedule.Step> step = schedule.next();
        step.ifPresent(s -> nextFault = scheduler.executor().schedule(() -> fire(s), s.delay().toMillis(), TimeUnit.MILLISECONDS));
    }

    private boolean over() {
        RunClock r = run;
        return r != null && r.timed() && clock.millis() >= r.endsAtMillis();
    }

    /** Schedule thread. */
    private void fire(ChaosSchedule.Step step) {
        try {
            if (stopping() || over()) {
                return;
            }
            FaultInjector.Result result = injector.inject(step.event());
            record(step, result);
            if (result.outcome() == Outcome.SKIPPED) {
                schedule.skipped(step.event());
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "chaos: step %d (%s) failed unexpectedly", step.number(), step.event().wire());
        } finally {
            scheduleNext();
        }
    }

    private void record(ChaosSchedule.Step step, FaultInjector.Result result) {
        registry.counter(MetricNames.CHAOS_EVENTS, MetricNames.TAG_EVENT, step.event().wire(), MetricNames.TAG_OUTCOME,
                result.outcome().wire()).increment();
        ChaosLogEntry entry = new ChaosLogEntry(clock.millis(), schedule.seed(), step.number(), backend.name(), step.event().wire(),
                result.target(), result.outcome().wire(), result.detail());
        // One line, key=value, so log pipelines can parse it.
        LOG.infof("chaos step=%d event=%s target=%s outcome=%s seed=%d backend=%s detail=\"%s\"", step.number(), entry.event(),
                entry.target().isEmpty() ? "-" : entry.target(), entry.outcome(), entry.seed(), entry.backend(), entry.detail());
        if (!result.target().isEmpty() && result.outcome() != Outcome.SKIPPED) {
            backend.recordOnVictim(victimOf(step.event(), result.target()), entry);
        }
        append(entry);
        RecoveryTimer r = recovery;
        if (r != null && result.outcome() == Outcome.INJECTED) {
            r.injected(entry);
        }
    }

    private static Target victimOf(ChaosEvent event, String name) {
        Target.Kind kind = switch (event) {
            case PRODUCER_CRASH -> Target.Kind.PRODUCER;
            case VERIFIER_RESTART, VERIFIER_CRASH -> Target.Kind.VERIFIER;
            case NATS_NODE_KILL -> Target.Kind.NATS;
            default -> Target.Kind.WORKER;
        };
        return new Target(name, kind, false, null);
    }

    private void append(ChaosLogEntry entry) {
        try {
            Retry.within(LOG_PATIENCE, "appending to the chaos log", () -> {
                ChaosLog.append(link.connection(), names, entry, config.nats().requestTimeout());
                return null;
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.errorf("chaos: could not append step %d (%s) to the chaos log: %s; the report will miss it", entry.step(), entry.event(),
                    FaultInjector.oneLine(e));
        }
    }

    @Override
    protected void dropConnection() {
        OwnedConnection.close(link);
    }

    @Override
    protected void doStop() {
        active.set(0);
        ScheduledFuture<?> f = nextFault;
        if (f != null) {
            f.cancel(false);
            nextFault = null;
        }
        if (injector != null && !aborting()) {
            injector.revertAll();
        }
        if (scheduler != null) {
            scheduler.close();
            scheduler = null;
        }
        if (recovery != null) {
            recovery.close();
            recovery = null;
        }
        injector = null;
        if (link != null) {
            link.close();
            link = null;
        }
    }
}

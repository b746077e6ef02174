package io.natsoak.chaos;

import io.natsoak.config.NatsoakConfig;
import io.natsoak.control.ControlClient;
import io.natsoak.model.ResourceSample;
import io.natsoak.nats.Names;
import io.natsoak.nats.RunClock;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Turns one scheduled event into one fault on one target, within the safety rails, and says
 * what became of it: the event's {@link Fault} (the catalogue is {@link Fault#of}) picks its
 * target ({@link TargetPicker}) and injects it. Pod and process faults go through the
 * {@link ChaosBackend}; in-place restarts, disconnects and the leak canary through the control
 * subjects ({@link ControlClient}); the leader comes from the election key ({@link LeaderLookup})
 * and the node kill waits for a healthy cluster ({@link NatsHealth}). In dry-run mode everything
 * is decided and nothing changed. Called on the operator's schedule thread only.
 */
public final class FaultInjector {

    private static final Logger LOG = Logger.getLogger(FaultInjector.class);

    /** What became of one event. */
    public record Result(Outcome outcome, String target, String detail) {
        static Result skipped(String why) {
            return new Result(Outcome.SKIPPED, "", why);
        }
    }

    private final FaultContext context;
    private final Safety safety;
    private final Map<ChaosEvent, Fault> faults = new EnumMap<>(ChaosEvent.class);

    /**
     * @param control, leader, health the NATS side; null only where no event needs them (tests of the Kubernetes side alone)
     * @param timer    runs the reverts (leak-stop) on the operator's schedule thread
     * @param run      the run's clock (no leak canary starts that could not be seen released before a timed run ends); null: untimed
     */
    public FaultInjector(NatsoakConfig config, ChaosBackend backend, ControlClient control, LeaderLookup leader, NatsHealth health,
                         Safety safety, ChaosSchedule schedule, Clock clock, ScheduledExecutorService timer, RunClock run) {
        boolean managedWorkers = config.worker().assignment().managed();
        Duration releaseSeen = config.resources().sampleInterval().multipliedBy(ResourceSample.END_SAMPLES + 1L);
        this.safety = safety;
        this.context = new FaultContext(config.chaos(), managedWorkers, backend, control, new Names(config.runId()), safety, schedule, clock, timer, run, releaseSeen,
                new TargetPicker(backend, safety, schedule, leader, health, clock, managedWorkers));
        for (ChaosEvent e : ChaosEvent.values()) {
            faults.put(e, Fault.of(e));
        }
    }

    public Result inject(ChaosEvent event) {
        try {
            safety.refresh();
            return faults.get(event).inject(context);
        } catch (ChaosBackend.Refused e) {
            return new Result(Outcome.REFUSED, "", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(Outcome.FAILED, "", "interrupted");
        } catch (Exception e) {
            LOG.debugf(e, "chaos: %s failed", event.wire());
            return new Result(Outcome.FAILED, "", oneLine(e));
        }
    }

    /** Reverts what is still reverting (leak canaries stop leaking now). Called when the operator stops or pauses. */
    public void revertAll() {
        for (Fault f : faults.values()) {
            try {
                f.revert(context);
            } catch (RuntimeException e) {
                LOG.warnf("chaos: reverting %s failed: %s", f.event().wire(), oneLine(e));
            }
        }
    }

    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root && (root.getMessage() == null || root instanceof ExecutionException)) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return msg.lines().findFirst().orElse(msg);
    }
}

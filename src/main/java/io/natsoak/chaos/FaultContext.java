package io.natsoak.chaos;

import io.natsoak.config.ChaosConfig;
import io.natsoak.control.ControlClient;
import io.natsoak.control.ControlCommand;
import io.natsoak.control.ControlReply;
import io.natsoak.nats.Names;
import io.natsoak.nats.RunClock;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a {@link Fault} works with: the settings, the backend and the NATS side, the safety
 * rails, the seeded choices, and the {@link TargetPicker} over them.
 *
 * @param control     in-place restarts, disconnects and the leak canary; null only where no event needs it (tests of the Kubernetes side alone)
 * @param names       the run's names (the targets' control subjects)
 * @param timer       runs the reverts (leak-stop) on the operator's schedule thread
 * @param run         the run's clock (no leak canary starts that could not be seen released before a timed run ends); null: untimed
 * @param releaseSeen how long a stopped leak canary keeps its worker in flight, see {@link LeakCanary}
 */
record FaultContext(ChaosConfig settings, boolean managedWorkers, ChaosBackend backend, ControlClient control, Names names, Safety safety,
                    ChaosSchedule schedule, Clock clock, ScheduledExecutorService timer, RunClock run, Duration releaseSeen,
                    TargetPicker targets) {

    /** Target name of the worker Deployment (scale events). */
    static final String WORKERS = "workers";
    /** Longest a control command may take: a worker's in-place restart drains it first. */
    static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(60);

    /** A control command to one instance of a role that must be carried out: no reply or a refusal is an exception. */
    ControlReply command(Target.Kind kind, String instance, ControlCommand command) throws Exception {
        return control.command(names.controlSubject(kind.label(), instance), command, CONTROL_TIMEOUT);
    }

    boolean dryRun() {
        return settings.dryRun();
    }

    /** The current targets of a kind, for the safety rails' settle checks (which treat a failure as "not settled"). */
    List<Target> current(Target.Kind kind) {
        try {
            return backend.targets(kind);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.natsoak.chaos;

import io.natsoak.config.ChaosConfig;
import io.natsoak.config.ChaosWeightsConfig;

import java.util.Locale;

/** The closed set of faults the chaos operator injects; {@link #wire()} is the name in metrics, logs and the report. */
public enum ChaosEvent {
    /** A worker dies without warning: pod delete with grace 0, SIGKILL locally. */
    WORKER_CRASH,
    /** A worker is stopped the polite way: pod delete with its grace period, SIGTERM locally. */
    WORKER_GRACEFUL_STOP,
    /** A worker's component is stopped and started in place through its control subject (the path that leaked in the incident). */
    WORKER_RESTART,
    /** One more worker, up to natsoak.chaos.workers-max. */
    SCALE_UP,
    /** One worker fewer, down to natsoak.chaos.workers-min. */
    SCALE_DOWN,
    /** The worker that really holds the partition manager's leadership (read from the election key) crashes. */
    LEADER_FAILURE,
    /** A producer dies without warning. */
    PRODUCER_CRASH,
    /** A worker or producer loses its NATS connection for a while (control subject disconnect). */
    NETWORK_DISCONNECT,
    /** One NATS server is killed, only while the cluster is healthy. */
    NATS_NODE_KILL,
    /** The verifier is restarted in place through its control subject. */
    VERIFIER_RESTART,
    /** A worker leaks threads for a while and then releases them (off unless natsoak.chaos.leak-canary=true). */
    LEAK_CANARY,
    /** The verifier dies without warning (pod delete with grace 0, SIGKILL locally) and resumes from its checkpoint. */
    VERIFIER_CRASH;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The configured weight of this event (leak_canary counts only when it is enabled). */
    public int weight(ChaosConfig chaos) {
        ChaosWeightsConfig w = chaos.weights();
        return switch (this) {
            case WORKER_CRASH -> w.workerCrash();
            case WORKER_GRACEFUL_STOP -> w.workerGracefulStop();
            case WORKER_RESTART -> w.workerRestart();
            case SCALE_UP -> w.scaleUp();
            case SCALE_DOWN -> w.scaleDown();
            case LEADER_FAILURE -> w.leaderFailure();
            case PRODUCER_CRASH -> w.producerCrash();
            case NETWORK_DISCONNECT -> w.networkDisconnect();
            case NATS_NODE_KILL -> w.natsNodeKill();
            case VERIFIER_RESTART -> w.verifierRestart();
            case LEAK_CANARY -> chaos.leakCanary() ? w.leakCanary() : 0;
            case VERIFIER_CRASH -> w.verifierCrash();
        };
    }
}

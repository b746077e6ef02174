package io.natsoak.chaos;

/**
 * One kind of fault of the chaos catalogue: how it picks its target (within the safety rails),
 * what it does to it, and, where the fault has one, how it is undone. A new fault is one new
 * class holding all of its behaviour, named in {@code permits} and in {@link #of(ChaosEvent)}, and
 * its {@link ChaosEvent} with a weight (the compiler asks for both switches once the constant exists).
 * <p>
 * Injections run on the operator's schedule thread only; {@link #revert} also on the thread that
 * stops the operator.
 */
public sealed interface Fault permits ProcessRemoval, LeaderFailure, RestartInPlace, WorkerScaling, NetworkDisconnect, NatsNodeKill,
        LeakCanary, VerifierCrash {

    /** The event this fault answers; its wire name is what metrics, logs and the report show. */
    ChaosEvent event();

    /**
     * Injects the fault once (or, in dry-run mode, decides everything and changes nothing) and
     * says what became of it. A target that refuses throws {@link ChaosBackend.Refused}; other
     * exceptions are failures.
     */
    FaultInjector.Result inject(FaultContext context) throws Exception;

    /** Undoes every injection of this fault still in effect (the operator stops or pauses); nothing where a fault cannot be undone. */
    default void revert(FaultContext context) {
    }

    /** The catalogue: the fault each event names. Leak canaries keep state (what leaks now), so each injector makes its own. */
    static Fault of(ChaosEvent event) {
        return switch (event) {
            case WORKER_CRASH -> new ProcessRemoval(event, Target.Kind.WORKER, true);
            case WORKER_GRACEFUL_STOP -> new ProcessRemoval(event, Target.Kind.WORKER, false);
            case PRODUCER_CRASH -> new ProcessRemoval(event, Target.Kind.PRODUCER, true);
            case LEADER_FAILURE -> new LeaderFailure();
            case WORKER_RESTART -> new RestartInPlace(event, Target.Kind.WORKER);
            case VERIFIER_RESTART -> new RestartInPlace(event, Target.Kind.VERIFIER);
            case SCALE_UP -> new WorkerScaling(event, +1);
            case SCALE_DOWN -> new WorkerScaling(event, -1);
            case NETWORK_DISCONNECT -> new NetworkDisconnect();
            case NATS_NODE_KILL -> new NatsNodeKill();
            case LEAK_CANARY -> new LeakCanary();
            case VERIFIER_CRASH -> new VerifierCrash();
        };
    }
}

package io.natsoak.chaos;

/**
 * One NATS server is killed, only while the cluster is healthy; the StatefulSet (or the local
 * backend, after a delay) brings it back, and it is in flight until it is ready again.
 */
record NatsNodeKill() implements Fault {

    @Override
    public ChaosEvent event() {
        return ChaosEvent.NATS_NODE_KILL;
    }

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        Pick pick = context.targets().natsNode();
        if (!pick.found()) {
            return pick.skipped();
        }
        Target victim = pick.target();
        if (context.dryRun()) {
            return new FaultInjector.Result(Outcome.DRY_RUN, victim.name(), "would be killed");
        }
        context.backend().killNatsNode(victim);
        context.safety().untilReplaced(victim, event(), () -> context.current(Target.Kind.NATS));
        return new FaultInjector.Result(Outcome.INJECTED, victim.name(), "NATS server killed");
    }
}

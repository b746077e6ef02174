package io.natsoak.chaos;

/** The worker that really holds the partition manager's leadership crashes (managed assignment only). */
record LeaderFailure() implements Fault {

    @Override
    public ChaosEvent event() {
        return ChaosEvent.LEADER_FAILURE;
    }

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        Pick pick = context.targets().leader();
        if (!pick.found()) {
            return pick.skipped();
        }
        return ProcessRemoval.remove(context, event(), Target.Kind.WORKER, pick.target(), true, ", the partition-manager leader");
    }
}

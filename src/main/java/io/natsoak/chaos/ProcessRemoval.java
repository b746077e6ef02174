package io.natsoak.chaos;

/**
 * A worker or producer goes away: crashed (pod delete with grace 0, SIGKILL) or stopped
 * gracefully (its grace period, SIGTERM), only while enough siblings stay ready. In flight until
 * it is gone or back. Not reverted: its Deployment or launcher brings it back.
 */
record ProcessRemoval(ChaosEvent event, Target.Kind kind, boolean crash) implements Fault {

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        Pick pick = context.targets().removable(kind);
        if (!pick.found()) {
            return pick.skipped();
        }
        return remove(context, event, kind, pick.target(), crash, "");
    }

    /** Removes {@code victim} (or, dry run, says it would); {@code note} is added to the detail. */
    static FaultInjector.Result remove(FaultContext context, ChaosEvent event, Target.Kind kind, Target victim, boolean crash, String note)
            throws Exception {
        String how = crash ? "killed (grace 0)" : "stopped with its grace period";
        if (context.dryRun()) {
            return new FaultInjector.Result(Outcome.DRY_RUN, victim.name(), "would be " + how + note);
        }
        try {
            if (crash) {
                context.backend().crash(victim);
            } else {
                context.backend().stopGracefully(victim);
            }
        } catch (ChaosBackend.Refused e) {
            return new FaultInjector.Result(Outcome.REFUSED, victim.name(), e.getMessage());
        }
        context.safety().untilReplaced(victim, event, () -> context.current(kind));
        return new FaultInjector.Result(Outcome.INJECTED, victim.name(), how + note);
    }
}

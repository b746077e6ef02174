package io.natsoak.chaos;

/**
 * The verifier dies without warning: pod delete with grace 0 in Kubernetes (its Deployment starts a
 * new pod), SIGKILL locally (the launcher starts it again). The new process resumes from its last
 * checkpoint, so the verdict must equal that of a run without the crash. Unlike a worker crash it
 * needs no ready sibling (there is one verifier, and nothing waits on it meanwhile); in flight until
 * the verifier is back and ready. Not reverted: its Deployment or the launcher brings it back.
 */
record VerifierCrash() implements Fault {

    @Override
    public ChaosEvent event() {
        return ChaosEvent.VERIFIER_CRASH;
    }

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        Pick pick = context.targets().any(Target.Kind.VERIFIER);
        if (!pick.found()) {
            return pick.skipped();
        }
        return ProcessRemoval.remove(context, event(), Target.Kind.VERIFIER, pick.target(), true, ", resumes from its checkpoint");
    }
}

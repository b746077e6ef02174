package io.natsoak.chaos;

import io.natsoak.control.ControlCommand;
import io.natsoak.control.ControlReply;

/**
 * A component is stopped and started in place through its control subject (the path that leaked
 * in the incident). In flight while the command runs; settled in {@code finally}, whatever the reply.
 */
record RestartInPlace(ChaosEvent event, Target.Kind kind) implements Fault {

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        Pick pick = context.targets().any(kind);
        if (!pick.found()) {
            return pick.skipped();
        }
        Target t = pick.target();
        if (context.dryRun()) {
            return new FaultInjector.Result(Outcome.DRY_RUN, t.name(), "would be restarted in place");
        }
        context.safety().add(t.name(), event, now -> false);
        try {
            ControlReply reply = context.command(kind, t.name(), ControlCommand.of(ControlCommand.Verb.RESTART));
            return new FaultInjector.Result(Outcome.INJECTED, t.name(),
                    "restarted in place, threads " + reply.threadsBefore() + " -> " + reply.threadsAfter());
        } finally {
            context.safety().settle(t.name());
        }
    }
}

package io.natsoak.chaos;

import io.natsoak.control.ControlCommand;

import java.time.Duration;
import java.time.Instant;

/**
 * A worker or producer (both must ride it out without losing anything) loses its NATS connection
 * for a drawn number of seconds, through its control subject. The victim reconnects by itself;
 * in flight until then.
 */
record NetworkDisconnect() implements Fault {

    /** After a disconnect's time is over, the victim needs a moment to reconnect before it counts as recovered. */
    static final Duration RECONNECT_MARGIN = Duration.ofSeconds(5);

    @Override
    public ChaosEvent event() {
        return ChaosEvent.NETWORK_DISCONNECT;
    }

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        Target.Kind kind = context.schedule().choose(2) == 0 ? Target.Kind.WORKER : Target.Kind.PRODUCER;
        Pick pick = context.targets().any(kind);
        if (!pick.found()) {
            return pick.skipped();
        }
        Target t = pick.target();
        int seconds = context.schedule().chooseSeconds(context.settings().disconnectMin(), context.settings().disconnectMax());
        if (context.dryRun()) {
            return new FaultInjector.Result(Outcome.DRY_RUN, t.name(), "would be disconnected for " + seconds + " s");
        }
        context.command(kind, t.name(), ControlCommand.disconnect(seconds));
        Instant back = context.clock().instant().plusSeconds(seconds).plus(RECONNECT_MARGIN);
        context.safety().add(t.name(), event(), now -> !now.isBefore(back));
        return new FaultInjector.Result(Outcome.INJECTED, t.name(), "disconnected from NATS for " + seconds + " s");
    }
}

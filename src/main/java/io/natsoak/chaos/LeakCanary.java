package io.natsoak.chaos;

import io.natsoak.control.ControlCommand;
import io.natsoak.control.ControlReply;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A worker leaks threads for natsoak.chaos.leak-duration and is then told to release them
 * (off unless natsoak.chaos.leak-canary=true): the verdict must see the growth while it lasts and
 * must not call the released canary a leak. The one fault with a revert: the leak-stop, sent when
 * its time is up, and at once for every canary still leaking when the operator stops or pauses.
 * <p>
 * A stopped canary keeps its worker in flight until that worker has published enough resource
 * samples after the release to be in the verifier's "end" window ({@code releaseSeen}:
 * {@code ResourceSample.END_SAMPLES} samples, plus one interval of margin). A worker
 * that is killed, stopped or scaled away sooner ends its incarnation on the leak's samples, and
 * the verdict would call the operator's own reverted canary a thread leak.
 */
final class LeakCanary implements Fault {

    private static final Logger LOG = Logger.getLogger(LeakCanary.class);
    /** A leak-stop that found nobody to answer (a NATS failover, say) is sent again after this. */
    private static final Duration LEAK_STOP_RETRY = Duration.ofSeconds(5);

    /** Canaries still leaking: stopped when their time is up, or at once when the operator stops. */
    private final List<Target> leaking = new ArrayList<>();

    @Override
    public ChaosEvent event() {
        return ChaosEvent.LEAK_CANARY;
    }

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        var settings = context.settings();
        Duration releaseSeen = context.releaseSeen();
        Duration inFlight = settings.leakDuration().plus(releaseSeen);
        if (context.run() != null && context.run().timed() && context.clock().millis() + inFlight.toMillis() > context.run().endsAtMillis()) {
            // The verdict would judge the victim on the leak's samples: a false thread-leak FAIL.
            return FaultInjector.Result.skipped("the run ends before a leak of " + settings.leakDuration().toSeconds()
                    + " s could be stopped and seen released (" + releaseSeen.toSeconds() + " s of resource samples)");
        }
        Pick pick = context.targets().any(Target.Kind.WORKER);
        if (!pick.found()) {
            return pick.skipped();
        }
        Target t = pick.target();
        String what = settings.leakThreadsPerMinute() + " threads/min for " + settings.leakDuration().toSeconds() + " s";
        if (context.dryRun()) {
            return new FaultInjector.Result(Outcome.DRY_RUN, t.name(), "would leak " + what);
        }
        // In flight before the request: a leak that began although the reply was lost is stopped too.
        context.safety().add(t.name(), event(), now -> false);
        synchronized (leaking) {
            leaking.add(t);
        }
        try {
            context.command(Target.Kind.WORKER, t.name(), ControlCommand.leak(settings.leakThreadsPerMinute()));
        } catch (Exception e) {
            stopLater(context, t, Duration.ZERO);
            throw e;
        }
        stopLater(context, t, settings.leakDuration());
        return new FaultInjector.Result(Outcome.INJECTED, t.name(), "leaking " + what + ", then releasing");
    }

    /** Every canary still leaking stops leaking now. */
    @Override
    public void revert(FaultContext context) {
        List<Target> now;
        synchronized (leaking) {
            now = new ArrayList<>(leaking);
        }
        now.forEach(t -> stop(context, t, false));
    }

    private void stopLater(FaultContext context, Target t, Duration delay) {
        try {
            context.timer().schedule(() -> stop(context, t, true), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            stop(context, t, false); // the operator is stopping: now or never
        }
    }

    /**
     * Stops a leak canary. Its worker stays in flight until the release has shown in its resource
     * samples ({@code releaseSeen}), so no other fault ends that incarnation on the leak's samples.
     * A stop that fails is sent again while the same process still runs ({@code retry}).
     */
    private void stop(FaultContext context, Target t, boolean retry) {
        synchronized (leaking) {
            if (!leaking.remove(t)) {
                return;
            }
        }
        Duration releaseSeen = context.releaseSeen();
        try {
            ControlReply reply = context.command(Target.Kind.WORKER, t.name(), ControlCommand.of(ControlCommand.Verb.LEAK_STOP));
            Instant released = context.clock().instant();
            Instant seen = released.plus(releaseSeen);
            context.safety().add(t.name(), event(), now -> !now.isBefore(seen));
            LOG.infof("chaos: the leak canary on %s stopped and released its threads (threads %d -> %d); %s stays in flight for %d s "
                    + "while its resource samples show the release", t.name(), reply.threadsBefore(), reply.threadsAfter(), t.name(),
                    releaseSeen.toSeconds());
        } catch (Exception e) {
            boolean interrupted = e instanceof InterruptedException;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (!sameProcessRuns(context, t)) {
                // A crashed and restarted worker leaks nothing any more.
                context.safety().settle(t.name());
                LOG.infof("chaos: the leak canary's worker %s is gone or restarted; nothing left to stop", t.name());
            } else if (retry && !interrupted) {
                synchronized (leaking) {
                    leaking.add(t);
                }
                LOG.warnf("chaos: could not stop the leak canary on %s: %s; trying again in %d s", t.name(), FaultInjector.oneLine(e),
                        LEAK_STOP_RETRY.toSeconds());
                stopLater(context, t, LEAK_STOP_RETRY);
            } else {
                context.safety().settle(t.name());
                LOG.warnf("chaos: could not stop the leak canary on %s: %s; it leaks until told leak-stop on its control subject",
                        t.name(), FaultInjector.oneLine(e));
            }
        }
    }

    /** True while the process the canary was sent to still runs (same name, same start); also when that cannot be told. */
    private static boolean sameProcessRuns(FaultContext context, Target t) {
        try {
            return context.backend().targets(Target.Kind.WORKER).stream()
                    .anyMatch(c -> c.name().equals(t.name()) && Objects.equals(c.startedAt(), t.startedAt()));
        } catch (Exception e) {
            return true;
        }
    }
}

package io.natsoak.chaos;

import io.natsoak.config.NatsoakConfig;
import io.natsoak.control.ControlReply;
import io.natsoak.model.ResourceSample;
import io.natsoak.nats.RunClock;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Turns one scheduled event into one fault on one target, within the safety rails, and says
 * what became of it. Pod and process faults go through the {@link ChaosBackend}; in-place
 * restarts, disconnects and the leak canary through the control subjects ({@link ControlClient});
 * the leader comes from the election key ({@link LeaderLookup}) and the node kill waits for a
 * healthy cluster ({@link NatsHealth}). In dry-run mode everything is decided and nothing changed.
 * Called on the operator's schedule thread only.
 */
public final class FaultInjector {

    private static final Logger LOG = Logger.getLogger(FaultInjector.class);
    /** After a disconnect's time is over, the victim needs a moment to reconnect before it counts as recovered. */
    private static final Duration RECONNECT_MARGIN = Duration.ofSeconds(5);
    /** A leak-stop that found nobody to answer (a NATS failover, say) is sent again after this. */
    private static final Duration LEAK_STOP_RETRY = Duration.ofSeconds(5);
    /** Target name of the worker Deployment (scale events). */
    static final String WORKERS = "workers";

    /** What became of one event. */
    public record Result(Outcome outcome, String target, String detail) {
        static Result skipped(String why) {
            return new Result(Outcome.SKIPPED, "", why);
        }
    }

    private final NatsoakConfig.Chaos settings;
    private final boolean managedWorkers;
    private final ChaosBackend backend;
    private final ControlClient control;
    private final LeaderLookup leader;
    private final NatsHealth health;
    private final Safety safety;
    private final ChaosSchedule schedule;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private final RunClock run;
    /**
     * How long a stopped leak canary keeps its worker in flight: until that worker has published
     * enough resource samples after the release to fill the verifier's "end" window (the median of
     * its last {@link ResourceSample#END_SAMPLES} samples), plus one interval of margin. A worker
     * that is killed, stopped or scaled away sooner ends its incarnation on the leak's samples,
     * and the verdict would call the operator's own reverted canary a thread leak.
     */
    private final Duration releaseSeen;
    /** Leak canaries still leaking: stopped when their time is up, or at once when the operator stops. */
    private final List<Target> leaking = new ArrayList<>();

    /**
     * @param control, leader, health the NATS side; null only where no event needs them (tests of the Kubernetes side alone)
     * @param timer    runs the reverts (leak-stop) on the operator's schedule thread
     * @param run      the run's clock (no leak canary starts that could not be seen released before a timed run ends); null: untimed
     */
    public FaultInjector(NatsoakConfig config, ChaosBackend backend, ControlClient control, LeaderLookup leader, NatsHealth health,
                         Safety safety, ChaosSchedule schedule, Clock clock, ScheduledExecutorService timer, RunClock run) {
        this.settings = config.chaos();
        this.releaseSeen = config.resources().sampleInterval().multipliedBy(ResourceSample.END_SAMPLES + 1L);
        this.run = run;
        this.managedWorkers = config.worker().assignment().managed();
        this.backend = backend;
        this.control = control;
        this.leader = leader;
        this.health = health;
        this.safety = safety;
        this.schedule = schedule;
        this.clock = clock;
        this.timer = timer;
    }

    public Result inject(ChaosEvent event) {
        try {
            safety.refresh();
            return switch (event) {
                case WORKER_CRASH -> remove(event, Target.Kind.WORKER, true);
                case WORKER_GRACEFUL_STOP -> remove(event, Target.Kind.WORKER, false);
                case PRODUCER_CRASH -> remove(event, Target.Kind.PRODUCER, true);
                case LEADER_FAILURE -> leaderFailure();
                case WORKER_RESTART -> restartInPlace(event, Target.Kind.WORKER);
                case VERIFIER_RESTART -> restartInPlace(event, Target.Kind.VERIFIER);
                case SCALE_UP -> scale(event, +1);
                case SCALE_DOWN -> scale(event, -1);
                case NETWORK_DISCONNECT -> disconnect();
                case NATS_NODE_KILL -> natsNodeKill();
                case LEAK_CANARY -> leakCanary();
            };
        } catch (ChaosBackend.Refused e) {
            return new Result(Outcome.REFUSED, "", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(Outcome.FAILED, "", "interrupted");
        } catch (Exception e) {
            LOG.debugf(e, "chaos: %s failed", event.wire());
            return new Result(Outcome.FAILED, "", oneLine(e));
        }
    }

    /** Crash (grace 0, SIGKILL) or graceful stop (grace period, SIGTERM) of a worker or producer. */
    private Result remove(ChaosEvent event, Target.Kind kind, boolean crash) throws Exception {
        List<Target> all = backend.targets(kind);
        StringBuilder why = new StringBuilder();
        List<Target> candidates = new ArrayList<>();
        for (Target t : safety.eligible(all, why)) {
            if (safety.leavesEnoughReady(all, t)) {
                candidates.add(t);
            } else {
                why.setLength(0);
                why.append("taking ").append(t.name()).append(" would leave fewer than ").append(safety.minReady())
                        .append(" ready ").append(kind.label()).append("s");
            }
        }
        if (candidates.isEmpty()) {
            return Result.skipped(why.toString());
        }
        Target victim = candidates.get(schedule.choose(candidates.size()));
        return removeTarget(event, kind, victim, crash, "");
    }

    private Result removeTarget(ChaosEvent event, Target.Kind kind, Target victim, boolean crash, String note) throws Exception {
        String how = crash ? "killed (grace 0)" : "stopped with its grace period";
        if (settings.dryRun()) {
            return new Result(Outcome.DRY_RUN, victim.name(), "would be " + how + note);
        }
        try {
            if (crash) {
                backend.crash(victim);
            } else {
                backend.stopGracefully(victim);
            }
        } catch (ChaosBackend.Refused e) {
            return new Result(Outcome.REFUSED, victim.name(), e.getMessage());
        }
        safety.untilReplaced(victim, event, () -> targetsOrEmpty(kind));
        return new Result(Outcome.INJECTED, victim.name(), how + note);
    }

    private Result leaderFailure() throws Exception {
        if (!managedWorkers) {
            return Result.skipped("static worker assignment: there is no partition-manager leader");
        }
        Optional<String> name = leader.leaderInstance();
        if (name.isEmpty()) {
            return Result.skipped("nobody holds the leader key (an election is under way)");
        }
        List<Target> workers = backend.targets(Target.Kind.WORKER);
        Optional<Target> victim = workers.stream().filter(t -> t.name().equals(name.get())).findFirst();
        if (victim.isEmpty()) {
            return Result.skipped("the leader " + name.get() + " is not among the selected workers");
        }
        Optional<String> excluded = safety.exclusion(victim.get(), clock.instant());
        if (excluded.isPresent()) {
            return new Result(Outcome.SKIPPED, victim.get().name(), excluded.get());
        }
        if (!safety.leavesEnoughReady(workers, victim.get())) {
            return new Result(Outcome.SKIPPED, victim.get().name(), "would leave fewer than " + safety.minReady() + " ready workers");
        }
        return removeTarget(ChaosEvent.LEADER_FAILURE, Target.Kind.WORKER, victim.get(), true, ", the partition-manager leader");
    }

    private Result restartInPlace(ChaosEvent event, Target.Kind kind) throws Exception {
        Optional<Target> victim = pick(kind);
        if (victim.isEmpty()) {
            return Result.skipped(lastWhy);
        }
        Target t = victim.get();
        if (settings.dryRun()) {
            return new Result(Outcome.DRY_RUN, t.name(), "would be restarted in place");
        }
        safety.add(t.name(), event, now -> false);
        try {
            ControlReply reply = control.send(kind, t.name(), ControlClient.restart());
            return new Result(Outcome.INJECTED, t.name(), "restarted in place, threads " + reply.threadsBefore() + " -> " + reply.threadsAfter());
        } finally {
            safety.settle(t.name());
        }
    }

    private Result scale(ChaosEvent event, int delta) throws Exception {
        if (!managedWorkers) {
            return Result.skipped("static worker assignment: p mod count cannot follow a new worker count");
        }
        if (safety.inFlight(WORKERS)) {
            return new Result(Outcome.SKIPPED, WORKERS, "the last scaling has not settled (not every worker is ready yet)");
        }
        int replicas = backend.workerReplicas();
        int wanted = replicas + delta;
        if (wanted > settings.workersMax()) {
            return new Result(Outcome.SKIPPED, WORKERS, replicas + " workers already, the maximum (natsoak.chaos.workers-max)");
        }
        if (wanted < settings.workersMin()) {
            return new Result(Outcome.SKIPPED, WORKERS, replicas + " workers already, the minimum (natsoak.chaos.workers-min)");
        }
        Target leaver = null;
        if (delta < 0) {
            List<Target> workers = backend.targets(Target.Kind.WORKER);
            long ready = workers.stream().filter(Target::ready).count();
            if (ready - 1 < safety.minReady()) {
                return new Result(Outcome.SKIPPED, WORKERS, "would leave fewer than " + safety.minReady() + " ready workers");
            }
            // Scaling down removes a worker, so the one-fault-per-target rule holds for it too.
            if (backend.choosesWhoLeaves()) {
                StringBuilder why = new StringBuilder();
                Optional<Target> youngest = safety.eligible(workers, why).stream()
                        .max(Comparator.comparing(Target::startedAt, Comparator.nullsLast(Comparator.naturalOrder())));
                if (youngest.isEmpty()) {
                    return new Result(Outcome.SKIPPED, WORKERS, "no worker may leave: " + why);
                }
                leaver = youngest.get();
            } else {
                Optional<Target> busy = workers.stream().filter(t -> safety.inFlight(t.name())).findFirst();
                if (busy.isPresent()) {
                    return new Result(Outcome.SKIPPED, WORKERS, "the Deployment chooses which worker leaves, and " + busy.get().name()
                            + " has a fault in flight");
                }
            }
        }
        String detail = replicas + " -> " + wanted + " workers" + (leaver == null ? "" : " (" + leaver.name() + " leaves)");
        if (settings.dryRun()) {
            return new Result(Outcome.DRY_RUN, WORKERS, "would scale " + detail);
        }
        if (leaver != null) {
            backend.removeWorker(leaver);
        } else {
            backend.scaleWorkers(wanted);
        }
        safety.add(WORKERS, event, now -> {
            List<Target> workers = targetsOrEmpty(Target.Kind.WORKER);
            return workers.size() == wanted && workers.stream().allMatch(Target::ready);
        });
        return new Result(Outcome.INJECTED, WORKERS, "scaled " + detail);
    }

    private Result disconnect() throws Exception {
        // Workers or producers: both must ride out a cut connection without losing anything.
        Target.Kind kind = schedule.choose(2) == 0 ? Target.Kind.WORKER : Target.Kind.PRODUCER;
        Optional<Target> victim = pick(kind);
        if (victim.isEmpty()) {
            return Result.skipped(lastWhy);
        }
        Target t = victim.get();
        int seconds = schedule.chooseSeconds(settings.disconnectMin(), settings.disconnectMax());
        if (settings.dryRun()) {
            return new Result(Outcome.DRY_RUN, t.name(), "would be disconnected for " + seconds + " s");
        }
        control.send(kind, t.name(), ControlClient.disconnect(seconds));
        Instant back = clock.instant().plusSeconds(seconds).plus(RECONNECT_MARGIN);
        safety.add(t.name(), ChaosEvent.NETWORK_DISCONNECT, now -> !now.isBefore(back));
        return new Result(Outcome.INJECTED, t.name(), "disconnected from NATS for " + seconds + " s");
    }

    private Result natsNodeKill() throws Exception {
        List<Target> nodes = backend.targets(Target.Kind.NATS);
        if (nodes.size() < 3) {
            return Result.skipped(nodes.size() + " NATS servers: killing one would cost quorum (needs at least 3)");
        }
        for (Target n : nodes) {
            if (safety.inFlight(n.name())) {
                return new Result(Outcome.SKIPPED, n.name(), "the last node kill has not recovered (" + n.name() + ")");
            }
            if (!n.ready()) {
                return new Result(Outcome.SKIPPED, n.name(), "the cluster is not healthy: " + n.name() + " is not ready");
            }
        }
        Optional<String> problem = health.problem();
        if (problem.isPresent()) {
            return Result.skipped("the cluster is not healthy: " + problem.get());
        }
        StringBuilder why = new StringBuilder();
        List<Target> candidates = safety.eligible(nodes, why);
        if (candidates.isEmpty()) {
            return Result.skipped(why.toString());
        }
        Target victim = candidates.get(schedule.choose(candidates.size()));
        if (settings.dryRun()) {
            return new Result(Outcome.DRY_RUN, victim.name(), "would be killed");
        }
        backend.killNatsNode(victim);
        safety.untilReplaced(victim, ChaosEvent.NATS_NODE_KILL, () -> targetsOrEmpty(Target.Kind.NATS));
        return new Result(Outcome.INJECTED, victim.name(), "NATS server killed");
    }

    private Result leakCanary() throws Exception {
        Duration inFlight = settings.leakDuration().plus(releaseSeen);
        if (run != null && run.timed() && clock.millis() + inFlight.toMillis() > run.endsAtMillis()) {
            // The verdict would judge the victim on the leak's samples: a false thread-leak FAIL.
            return Result.skipped("the run ends before a leak of " + settings.leakDuration().toSeconds() + " s could be stopped and seen "
                    + "released (" + releaseSeen.toSeconds() + " s of resource samples)");
        }
        Optional<Target> victim = pick(Target.Kind.WORKER);
        if (victim.isEmpty()) {
            return Result.skipped(lastWhy);
        }
        Target t = victim.get();
        String what = settings.leakThreadsPerMinute() + " threads/min for " + settings.leakDuration().toSeconds() + " s";
        if (settings.dryRun()) {
            return new Result(Outcome.DRY_RUN, t.name(), "would leak " + what);
        }
        // In flight before the request: a leak that began although the reply was lost is stopped too.
        safety.add(t.name(), ChaosEvent.LEAK_CANARY, now -> false);
        synchronized (leaking) {
            leaking.add(t);
        }
        try {
            control.send(Target.Kind.WORKER, t.name(), ControlClient.leak(settings.leakThreadsPerMinute()));
        } catch (Exception e) {
            stopLeakLater(t, Duration.ZERO);
            throw e;
        }
        stopLeakLater(t, settings.leakDuration());
        return new Result(Outcome.INJECTED, t.name(), "leaking " + what + ", then releasing");
    }

    private void stopLeakLater(Target t, Duration delay) {
        try {
            timer.schedule(() -> stopLeak(t, true), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            stopLeak(t, false); // the operator is stopping: now or never
        }
    }

    /**
     * Stops a leak canary. Its worker stays in flight until the release has shown in its resource
     * samples ({@link #releaseSeen}), so no other fault ends that incarnation on the leak's samples.
     * A stop that fails is sent again while the same process still runs ({@code retry}).
     */
    private void stopLeak(Target t, boolean retry) {
        synchronized (leaking) {
            if (!leaking.remove(t)) {
                return;
            }
        }
        try {
            ControlReply reply = control.send(Target.Kind.WORKER, t.name(), ControlClient.leakStop());
            Instant released = clock.instant();
            Instant seen = released.plus(releaseSeen);
            safety.add(t.name(), ChaosEvent.LEAK_CANARY, now -> !now.isBefore(seen));
            LOG.infof("chaos: the leak canary on %s stopped and released its threads (threads %d -> %d); %s stays in flight for %d s "
                    + "while its resource samples show the release", t.name(), reply.threadsBefore(), reply.threadsAfter(), t.name(),
                    releaseSeen.toSeconds());
        } catch (Exception e) {
            boolean interrupted = e instanceof InterruptedException;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (!sameProcessRuns(t)) {
                // A crashed and restarted worker leaks nothing any more.
                safety.settle(t.name());
                LOG.infof("chaos: the leak canary's worker %s is gone or restarted; nothing left to stop", t.name());
            } else if (retry && !interrupted) {
                synchronized (leaking) {
                    leaking.add(t);
                }
                LOG.warnf("chaos: could not stop the leak canary on %s: %s; trying again in %d s", t.name(), oneLine(e),
                        LEAK_STOP_RETRY.toSeconds());
                stopLeakLater(t, LEAK_STOP_RETRY);
            } else {
                safety.settle(t.name());
                LOG.warnf("chaos: could not stop the leak canary on %s: %s; it leaks until told leak-stop on its control subject",
                        t.name(), oneLine(e));
            }
        }
    }

    /** True while the process the canary was sent to still runs (same name, same start); also when that cannot be told. */
    private boolean sameProcessRuns(Target t) {
        try {
            return backend.targets(Target.Kind.WORKER).stream()
                    .anyMatch(c -> c.name().equals(t.name()) && Objects.equals(c.startedAt(), t.startedAt()));
        } catch (Exception e) {
            return true;
        }
    }

    /** Reverts what is still reverting: leak canaries stop leaking now. Called when the operator stops or pauses. */
    public void revertAll() {
        List<Target> now;
        synchronized (leaking) {
            now = new ArrayList<>(leaking);
        }
        now.forEach(t -> stopLeak(t, false));
    }

    private String lastWhy = "";

    /** A ready, old-enough target of the kind with nothing in flight, chosen by the schedule's choices generator. */
    private Optional<Target> pick(Target.Kind kind) throws Exception {
        StringBuilder why = new StringBuilder();
        List<Target> candidates = safety.eligible(backend.targets(kind), why);
        if (candidates.isEmpty()) {
            lastWhy = why.length() == 0 ? "no " + kind.label() + " to choose from" : why.toString();
            return Optional.empty();
        }
        return Optional.of(candidates.get(schedule.choose(candidates.size())));
    }

    private List<Target> targetsOrEmpty(Target.Kind kind) {
        try {
            return backend.targets(kind);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root && (root.getMessage() == null || root instanceof java.util.concurrent.ExecutionException)) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return msg.lines().findFirst().orElse(msg);
    }
}

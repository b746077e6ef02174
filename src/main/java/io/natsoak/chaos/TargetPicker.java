package io.natsoak.chaos;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Chooses the target of a fault within the safety rails, and says why: the choice comes with its
 * reason, and no choice with the reason nothing may be hit (the skipped event's detail). Random
 * choices come from the schedule's seeded generator, so a seed reproduces them.
 */
final class TargetPicker {

    private final ChaosBackend backend;
    private final Safety safety;
    private final ChaosSchedule schedule;
    private final LeaderLookup leader;
    private final NatsHealth health;
    private final Clock clock;
    private final boolean managedWorkers;

    /** @param leader, health the NATS side; null only where no event needs them (tests of the Kubernetes side alone) */
    TargetPicker(ChaosBackend backend, Safety safety, ChaosSchedule schedule, LeaderLookup leader, NatsHealth health, Clock clock,
                 boolean managedWorkers) {
        this.backend = backend;
        this.safety = safety;
        this.schedule = schedule;
        this.leader = leader;
        this.health = health;
        this.clock = clock;
        this.managedWorkers = managedWorkers;
    }

    /** A ready, old-enough target of the kind with nothing in flight. */
    Pick any(Target.Kind kind) throws Exception {
        StringBuilder why = new StringBuilder();
        List<Target> candidates = safety.eligible(backend.targets(kind), why);
        if (candidates.isEmpty()) {
            return Pick.none(why.length() == 0 ? "no " + kind.label() + " to choose from" : why.toString());
        }
        return chooseAmong(candidates, kind);
    }

    /** As {@link #any}, and taking it away still leaves the minimum of ready targets of its kind. */
    Pick removable(Target.Kind kind) throws Exception {
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
            return Pick.none(why.toString());
        }
        return chooseAmong(candidates, kind);
    }

    /** The worker that really holds the partition manager's leadership (read from the election key), if it may be taken away. */
    Pick leader() throws Exception {
        if (!managedWorkers) {
            return Pick.none("static worker assignment: there is no partition-manager leader");
        }
        Optional<String> name = leader.leaderInstance();
        if (name.isEmpty()) {
            return Pick.none("nobody holds the leader key (an election is under way)");
        }
        List<Target> workers = backend.targets(Target.Kind.WORKER);
        Optional<Target> victim = workers.stream().filter(t -> t.name().equals(name.get())).findFirst();
        if (victim.isEmpty()) {
            return Pick.none("the leader " + name.get() + " is not among the selected workers");
        }
        Optional<String> excluded = safety.exclusion(victim.get(), clock.instant());
        if (excluded.isPresent()) {
            return Pick.heldBack(victim.get().name(), excluded.get());
        }
        if (!safety.leavesEnoughReady(workers, victim.get())) {
            return Pick.heldBack(victim.get().name(), "would leave fewer than " + safety.minReady() + " ready workers");
        }
        return Pick.of(victim.get(), "holds the leader key");
    }

    /** One NATS server, only while all of them (at least 3, for quorum) are ready, recovered from the last kill, and healthy. */
    Pick natsNode() throws Exception {
        List<Target> nodes = backend.targets(Target.Kind.NATS);
        if (nodes.size() < 3) {
            return Pick.none(nodes.size() + " NATS servers: killing one would cost quorum (needs at least 3)");
        }
        for (Target n : nodes) {
            if (safety.inFlight(n.name())) {
                return Pick.heldBack(n.name(), "the last node kill has not recovered (" + n.name() + ")");
            }
            if (!n.ready()) {
                return Pick.heldBack(n.name(), "the cluster is not healthy: " + n.name() + " is not ready");
            }
        }
        Optional<String> problem = health.problem();
        if (problem.isPresent()) {
            return Pick.none("the cluster is not healthy: " + problem.get());
        }
        StringBuilder why = new StringBuilder();
        List<Target> candidates = safety.eligible(nodes, why);
        if (candidates.isEmpty()) {
            return Pick.none(why.toString());
        }
        return chooseAmong(candidates, Target.Kind.NATS);
    }

    private Pick chooseAmong(List<Target> candidates, Target.Kind kind) {
        return Pick.of(candidates.get(schedule.choose(candidates.size())), "chosen among " + candidates.size() + " eligible " + kind.label() + "s");
    }
}

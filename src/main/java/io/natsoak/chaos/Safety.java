package io.natsoak.chaos;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The safety rails every backend shares: a minimum age, a minimum of ready siblings, and never
 * two faults in flight on one target. A fault is in flight on its target from injection until
 * the target has recovered: a removed pod or process is gone or back (ready, and started after
 * the fault), a disconnect's time is over, a leak was stopped and the victim's resource samples
 * have shown the release for a verifier's window, a scaled Deployment has all its replicas ready.
 * Scaling down removes a worker too: the operator names one with nothing in flight where the
 * backend lets it, and otherwise waits until no worker has a fault in flight. An entry that never settles is dropped after {@link #GIVE_UP}, with a log line,
 * so one lost pod cannot stop the chaos for the rest of a long soak.
 */
public final class Safety {

    static final Duration GIVE_UP = Duration.ofMinutes(10);

    /** One fault in flight on {@code target}: settled once {@code settled} says so (or after {@link #GIVE_UP}). */
    record Pending(String target, ChaosEvent event, Instant since, Predicate<Instant> settled) {
    }

    private final Duration minAge;
    private final int minReady;
    private final Clock clock;
    private final Map<String, Pending> inFlight = new ConcurrentHashMap<>();

    public Safety(Duration minAge, int minReady, Clock clock) {
        this.minAge = minAge;
        this.minReady = minReady;
        this.clock = clock;
    }

    public int minReady() {
        return minReady;
    }

    /** Drops the entries that settled (or waited too long). */
    public void refresh() {
        Instant now = clock.instant();
        inFlight.values().removeIf(p -> p.settled().test(now) || now.isAfter(p.since().plus(GIVE_UP)));
    }

    public boolean inFlight(String target) {
        return inFlight.containsKey(target);
    }

    /** Names of the targets with a fault in flight. */
    public List<String> inFlightTargets() {
        return new ArrayList<>(inFlight.keySet());
    }

    void add(String target, ChaosEvent event, Predicate<Instant> settled) {
        inFlight.put(target, new Pending(target, event, clock.instant(), settled));
    }

    void settle(String target) {
        inFlight.remove(target);
    }

    /**
     * The targets a fault may hit: ready, at least min-age old, nothing in flight on them. When
     * none is left, {@code why} says which rule excluded the last candidate.
     */
    public List<Target> eligible(List<Target> all, StringBuilder why) {
        Instant now = clock.instant();
        List<Target> ok = new ArrayList<>();
        for (Target t : all) {
            Optional<String> reason = exclusion(t, now);
            if (reason.isEmpty()) {
                ok.add(t);
            } else if (why != null) {
                why.setLength(0);
                why.append(reason.get());
            }
        }
        if (all.isEmpty() && why != null) {
            why.setLength(0);
            why.append("no target matches");
        }
        return ok;
    }

    /** Why {@code t} may not be hit now; empty when it may. */
    public Optional<String> exclusion(Target t, Instant now) {
        if (inFlight(t.name())) {
            return Optional.of(t.name() + " has a fault in flight");
        }
        if (!t.ready()) {
            return Optional.of(t.name() + " is not ready");
        }
        if (t.startedAt() != null && t.startedAt().plus(minAge).isAfter(now)) {
            return Optional.of(t.name() + " is younger than the minimum age " + minAge.toSeconds() + " s");
        }
        return Optional.empty();
    }

    /** True when taking {@code victim} away leaves at least min-ready ready siblings. */
    public boolean leavesEnoughReady(List<Target> all, Target victim) {
        long siblings = all.stream().filter(t -> t.ready() && !t.name().equals(victim.name())).count();
        return siblings >= minReady;
    }

    /** Remembers a removed target until it is gone or back: ready and started after {@code removedAt}. */
    void untilReplaced(Target victim, ChaosEvent event, java.util.function.Supplier<List<Target>> current) {
        Instant removedAt = clock.instant();
        add(victim.name(), event, now -> {
            try {
                return current.get().stream().filter(t -> t.name().equals(victim.name()))
                        .allMatch(t -> t.ready() && t.startedAt() != null && t.startedAt().isAfter(removedAt.minusMillis(1))
                                && !t.startedAt().equals(victim.startedAt()));
            } catch (RuntimeException e) {
                return false;
            }
        });
    }
}

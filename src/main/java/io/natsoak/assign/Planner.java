package io.natsoak.assign;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * Computes the next assignment record from the previous one (pure; the leader runs it).
 * <p>
 * The handoff bookkeeping: for every partition, {@code waitFor} lists every incarnation that may
 * still hold it: the previous owner when the owner changes, plus whatever the previous record
 * listed and has not been confirmed released since. An entry is dropped only on a confirmation
 * ({@link Handoff#confirmed}), so chains of moves (A to B before B ever started, then to C) keep
 * every possible holder until it is known not to hold the partition.
 */
final class Planner {

    /** Moves and departures whose partitions are not consumed within this long are dropped from the record. */
    static final long HORIZON_MS = 10 * 60 * 1000L;

    /** Why and since when an incarnation is gone (for the recovery clock). */
    record Departed(long since, String kind) {
    }

    private Planner() {
    }

    static Wire.Assignment next(Wire.Assignment prev, Collection<Wire.MemberRef> live, double[] weights,
                                PartitionAssigner strategy, Map<String, Wire.Release> releases,
                                Map<Wire.MemberRef, Departed> departed, String leader, String kind, long nowMs) {
        long version = prev == null ? 1 : prev.version() + 1;
        List<Wire.MemberRef> members = sorted(live);
        Map<String, Integer> index = new HashMap<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            index.put(members.get(i).id(), i);
            ids.add(members.get(i).id());
        }
        int count = weights.length;
        int[] owners = new int[count];
        Arrays.fill(owners, -1);
        for (Map.Entry<String, SortedSet<Integer>> e : strategy.assign(ids, weights).entrySet()) {
            Integer i = index.get(e.getKey());
            for (int p : e.getValue()) {
                if (i != null && p >= 0 && p < count) {
                    owners[p] = i;
                }
            }
        }
        Map<Integer, List<Consumed>> consumed = consumedByPartition(releases);
        Map<Integer, List<Wire.WaitFor>> waitFor = new TreeMap<>();
        Map<Integer, Wire.Move> moves = new TreeMap<>();
        for (int p = 0; p < count; p++) {
            Wire.MemberRef now = owners[p] >= 0 ? members.get(owners[p]) : null;
            Wire.MemberRef before = prev == null ? null : prev.ownerOf(p);
            boolean moved = before != null && !before.equals(now);

            Map<Wire.MemberRef, Long> wait = new LinkedHashMap<>();
            if (prev != null) {
                for (Wire.WaitFor w : prev.waitFor(p)) {
                    wait.merge(w.ref(), w.movedAt(), Math::max);
                }
            }
            if (moved) {
                wait.merge(before, version, Math::max);
            }
            if (now != null) {
                wait.remove(now); // the new owner knows itself whether it still holds the partition
            }
            List<Wire.WaitFor> list = new ArrayList<>();
            for (Map.Entry<Wire.MemberRef, Long> w : wait.entrySet()) {
                Wire.WaitFor entry = new Wire.WaitFor(w.getKey().id(), w.getKey().inc(), w.getValue());
                if (!Handoff.confirmed(entry, p, releases)) {
                    list.add(entry);
                }
            }
            if (!list.isEmpty()) {
                waitFor.put(p, list);
            }

            Wire.Move previous = prev == null ? null : prev.moves().get(p);
            if (previous != null && (consumedSince(consumed, p, previous.version()) || nowMs - previous.since() > HORIZON_MS)) {
                previous = null;
            }
            if (moved) {
                Departed d = departed.get(before);
                long since = d != null ? d.since() : nowMs;
                String k = d != null ? d.kind() : AssignMetricNames.KIND_PLANNED;
                if (previous != null) {
                    // Moved again before anyone consumed it: the recovery clock keeps running from the first move.
                    since = Math.min(since, previous.since());
                    if (AssignMetricNames.KIND_EMERGENCY.equals(previous.kind())) {
                        k = AssignMetricNames.KIND_EMERGENCY;
                    }
                }
                moves.put(p, new Wire.Move(before.id(), before.inc(), since, k, version));
            } else if (previous != null && now != null) {
                moves.put(p, previous);
            }
        }

        List<Wire.Departure> departures = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        if (prev != null) {
            for (Wire.Departure d : prev.departures()) {
                if (nowMs - d.since() <= HORIZON_MS && completedAt(d, releases) < 0 && seen.add(d.id() + "/" + d.inc())) {
                    departures.add(d);
                }
            }
            for (Wire.MemberRef r : prev.members()) {
                Departed d = departed.get(r);
                if (d == null || members.contains(r) || !seen.add(r.id() + "/" + r.inc())) {
                    continue;
                }
                int[] theirs = prev.partitionsOf(r.id(), r.inc()).stream().mapToInt(Integer::intValue).toArray();
                if (theirs.length > 0) {
                    departures.add(new Wire.Departure(r.id(), r.inc(), d.since(), d.kind(), version, theirs));
                }
            }
        }
        return new Wire.Assignment(version, leader, nowMs, kind, strategy.name(), count, members, owners, waitFor, moves, departures);
    }

    /**
     * When every partition of a departure has had a message consumed by an owner granted at the
     * departure's version or later: the latest of those first consumptions; -1 while one is missing.
     */
    static long completedAt(Wire.Departure d, Map<String, Wire.Release> releases) {
        return completedAt(d, consumedByPartition(releases), new HashMap<>());
    }

    /** As above, remembering first consumptions in {@code seen} (partition to time) across calls. */
    static long completedAt(Wire.Departure d, Map<Integer, List<Consumed>> consumed, Map<Integer, Long> seen) {
        long latest = 0;
        for (int p : d.partitions()) {
            for (Consumed c : consumed.getOrDefault(p, List.of())) {
                if (c.version() >= d.version()) {
                    seen.merge(p, c.at(), Math::min);
                }
            }
            Long at = seen.get(p);
            if (at == null) {
                return -1;
            }
            latest = Math.max(latest, at);
        }
        return latest;
    }

    record Consumed(long version, long at) {
    }

    static Map<Integer, List<Consumed>> consumedByPartition(Map<String, Wire.Release> releases) {
        Map<Integer, List<Consumed>> out = new HashMap<>();
        for (Wire.Release r : releases.values()) {
            for (Wire.Consumed c : r.consumed()) {
                out.computeIfAbsent(c.p(), k -> new ArrayList<>()).add(new Consumed(c.version(), c.at()));
            }
        }
        return out;
    }

    private static boolean consumedSince(Map<Integer, List<Consumed>> consumed, int p, long version) {
        for (Consumed c : consumed.getOrDefault(p, List.of())) {
            if (c.version() >= version) {
                return true;
            }
        }
        return false;
    }

    static List<Wire.MemberRef> sorted(Collection<Wire.MemberRef> live) {
        Map<String, Wire.MemberRef> byId = new TreeMap<>(MemberIds.ORDER);
        for (Wire.MemberRef r : live) {
            byId.merge(r.id(), r, (a, b) -> a.inc() >= b.inc() ? a : b);
        }
        return new ArrayList<>(byId.values());
    }
}

package io.natsoak.assign;

import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * The partitions this member holds, is revoking, or waits to be granted, and the two-phase
 * handoff between them (grant, revoke, release). Loop-confined, except {@link #heldView} and
 * the grant records {@link #firstMessageConsumed} reads, which any thread may read.
 */
final class Holdings {

    private static final Logger LOG = Logger.getLogger(Holdings.class);

    private record Pending(long sinceNanos, Wire.Move move) {
    }

    private record GrantInfo(long version, Wire.Move move, AtomicBoolean recorded) {
    }

    private final GroupView view;
    private final MemberLease self;
    private final ReleaseRecord record;
    private final Callbacks callbacks;
    private final ManagerMetrics metrics;
    private final Loop loop;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private final int partitions;

    private long applied;
    private final SortedSet<Integer> held = new TreeSet<>();
    private final Map<Integer, Long> revoking = new TreeMap<>();
    private final Map<Integer, Pending> pending = new TreeMap<>();
    private final Map<Integer, Wire.Consumed> consumed = new TreeMap<>();
    private final AtomicReferenceArray<GrantInfo> grantInfo;
    private volatile Set<Integer> heldView = Set.of();
    /** Set by a graceful leave: nothing new is applied or granted from then on. */
    private boolean leaving;

    Holdings(GroupView view, MemberLease self, ReleaseRecord record, Callbacks callbacks, ManagerMetrics metrics,
             Loop loop, int partitions, Clock clock, LongSupplier nanoClock) {
        this.view = view;
        this.self = self;
        this.record = record;
        this.callbacks = callbacks;
        this.metrics = metrics;
        this.loop = loop;
        this.partitions = partitions;
        this.clock = clock;
        this.nanoClock = nanoClock;
        this.grantInfo = new AtomicReferenceArray<>(partitions);
    }

    Set<Integer> heldView() {
        return heldView;
    }

    long applied() {
        return applied;
    }

    boolean leaving() {
        return leaving;
    }

    boolean holdsNothing() {
        return held.isEmpty();
    }

    Set<Integer> pendingPartitions() {
        return pending.keySet();
    }

    /** The oldest pending partition's start (nanos), or {@code otherwise}. */
    long oldestPending(long otherwise) {
        return pending.values().stream().mapToLong(Pending::sinceNanos).min().orElse(otherwise);
    }

    /** A new incarnation holds nothing and has applied nothing. */
    void install() {
        applied = 0;
        record.clean();
        applyLatest();
    }

    /** Applies the newest assignment if it is newer than what this member applied. */
    void applyLatest() {
        Lease l = self.current();
        Wire.Assignment a = view.current();
        if (l == null || a == null || leaving || a.version() <= applied) {
            return;
        }
        if (a.partitions() != partitions) {
            LOG.errorf("assignment version %d has %d partitions, this member is configured for %d: ignored",
                    a.version(), a.partitions(), partitions);
            return;
        }
        applied = a.version();
        metrics.version(applied);
        Set<Integer> mine = new HashSet<>(a.partitionsOf(l.holder, l.inc));
        SortedSet<Integer> toRevoke = new TreeSet<>();
        for (int p : held) {
            if (!mine.contains(p) && !revoking.containsKey(p)) {
                toRevoke.add(p);
                revoking.put(p, applied);
            }
        }
        pending.keySet().removeIf(p -> !mine.contains(p));
        long now = nanoClock.getAsLong();
        for (int p : new TreeSet<>(mine)) {
            if (!held.contains(p) && !pending.containsKey(p)) {
                pending.put(p, new Pending(now, a.moves().get(p)));
            }
        }
        metrics.pending(pending.size());
        record.changed();
        if (!toRevoke.isEmpty()) {
            callbacks.revoke(applied, Collections.unmodifiableSortedSet(toRevoke));
        }
        tryGrant();
    }

    /** Grants every pending partition whose possible previous holders have all released it or are gone. */
    void tryGrant() {
        Lease l = self.current();
        Wire.Assignment a = view.current();
        if (l == null || a == null || pending.isEmpty() || leaving || a.version() != applied || !l.valid(nanoClock.getAsLong())) {
            return;
        }
        SortedSet<Integer> grant = new TreeSet<>();
        for (int p : pending.keySet()) {
            if (!held.contains(p) && confirmed(a, p, l)) {
                grant.add(p);
            }
        }
        if (grant.isEmpty()) {
            return;
        }
        long now = nanoClock.getAsLong();
        for (int p : grant) {
            Pending pd = pending.remove(p);
            held.add(p);
            grantInfo.set(p, new GrantInfo(applied, pd.move() != null ? pd.move() : a.moves().get(p), new AtomicBoolean()));
            metrics.handoff(now - pd.sinceNanos());
        }
        metrics.pending(pending.size());
        publishHeld();
        record.changed();
        callbacks.grant(applied, Collections.unmodifiableSortedSet(grant));
    }

    /** Every incarnation that may still hold {@code p} (other than this one) confirmed it does not ({@link Handoff}). */
    boolean confirmed(Wire.Assignment a, int p, Lease l) {
        for (Wire.WaitFor w : a.waitFor(p)) {
            if (l.is(w.id(), w.inc())) {
                continue; // ourselves: we do not hold it (checked by the caller)
            }
            if (!Handoff.confirmed(w, p, view.releases)) {
                return false;
            }
        }
        return true;
    }

    /** The listener released these partitions; true when that changed what this member holds. */
    boolean onReleased(long version, Set<Integer> partitions) {
        boolean changed = false;
        for (int p : partitions) {
            Long v = revoking.get(p);
            if (v != null && v <= version) {
                revoking.remove(p);
                held.remove(p);
                consumed.remove(p);
                if (p >= 0 && p < grantInfo.length()) {
                    grantInfo.set(p, null);
                }
                changed = true;
            } else if (v == null && held.contains(p)) {
                LOG.warnf("released(%d, %d) for a partition that was not revoked: ignored", version, p);
            }
        }
        if (!changed) {
            return false;
        }
        publishHeld();
        record.changed();
        Lease l = self.current();
        Wire.Assignment a = view.current();
        if (l != null && a != null && a.version() == applied && !leaving) {
            long now = nanoClock.getAsLong();
            for (int p : a.partitionsOf(l.holder, l.inc)) {
                if (partitions.contains(p) && !held.contains(p) && !pending.containsKey(p)) {
                    pending.put(p, new Pending(now, a.moves().get(p)));
                }
            }
            metrics.pending(pending.size());
        }
        tryGrant();
        return true;
    }

    /** Any thread: the first message consumed after a grant closes that partition's recovery clock. */
    void firstMessageConsumed(int partition) {
        if (partition < 0 || partition >= grantInfo.length()) {
            return;
        }
        GrantInfo g = grantInfo.get(partition);
        if (g == null || g.move() == null || !g.recorded().compareAndSet(false, true)) {
            return;
        }
        long at = clock.millis();
        long took = at - g.move().since();
        if (took >= 0 && took <= Planner.HORIZON_MS) {
            metrics.partitionRecovered(g.move().kind(), took);
        }
        loop.post(() -> {
            if (grantInfo.get(partition) == g) {
                consumed.put(partition, new Wire.Consumed(partition, g.version(), at));
                record.changed();
            }
        });
    }

    /** Writes the release record if it changed and the lease is valid (after every loop task). */
    void flush() {
        if (!record.dirty()) {
            return;
        }
        Lease l = self.current();
        if (l == null || !l.valid(nanoClock.getAsLong())) {
            return;
        }
        record.write(l, new Wire.Release(l.inc, applied, held.stream().mapToInt(Integer::intValue).toArray(), false, null,
                clock.millis(), new ArrayList<>(consumed.values())));
    }

    /** Graceful leave: nothing pending any more, everything held revoked; nothing new from now on. */
    void revokeAll() {
        leaving = true;
        pending.clear();
        metrics.pending(0);
        SortedSet<Integer> toRevoke = new TreeSet<>();
        for (int p : held) {
            if (!revoking.containsKey(p)) {
                toRevoke.add(p);
                revoking.put(p, applied);
            }
        }
        record.changed();
        if (!toRevoke.isEmpty()) {
            callbacks.revoke(applied, Collections.unmodifiableSortedSet(toRevoke));
        }
    }

    /** The lease lapsed: everything is lost at once; what was held. */
    Set<Integer> fence() {
        Set<Integer> lost = new TreeSet<>(held);
        held.clear();
        revoking.clear();
        pending.clear();
        consumed.clear();
        record.clean();
        applied = 0;
        publishHeld();
        clearGrants();
        return lost;
    }

    /** An unclean leave: what is still held is lost. */
    Set<Integer> dropAll() {
        Set<Integer> lost = new TreeSet<>(held);
        held.clear();
        revoking.clear();
        publishHeld();
        return lost;
    }

    /** Stop: nothing is held any more, for any thread. */
    void clear() {
        heldView = Set.of();
        metrics.held(0);
        metrics.pending(0);
        clearGrants();
    }

    private void clearGrants() {
        for (int p = 0; p < grantInfo.length(); p++) {
            grantInfo.set(p, null);
        }
    }

    private void publishHeld() {
        heldView = Set.copyOf(held);
        metrics.held(held.size());
    }

    /** The listener's calls, each guarded so that a failing callback does not stop the loop. */
    interface Callbacks {
        void grant(long version, Set<Integer> partitions);

        void revoke(long version, Set<Integer> partitions);
    }
}

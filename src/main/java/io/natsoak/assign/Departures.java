package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import io.natsoak.config.ManagerSettings;
import io.natsoak.model.MalformedMessageException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Which incarnations are gone, and why: the leader evicts silent members, deletes stale keys,
 * and marks gone (in their release records) the incarnations that were evicted, deleted or
 * superseded. Loop-confined.
 */
final class Departures {

    private static final Logger LOG = Logger.getLogger(Departures.class);

    private final GroupBuckets buckets;
    private final GroupView view;
    private final ManagerMetrics metrics;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private final long evictAfterNanos;
    private final long ttlMs;
    private Consumer<KvEntry> onReleaseEntry = e -> { };
    private Runnable onEmergency = () -> { };

    private final Map<Wire.MemberRef, Planner.Departed> departed = new HashMap<>();
    private final Map<Wire.MemberRef, String> goneToWrite = new HashMap<>();

    Departures(GroupBuckets buckets, GroupView view, ManagerMetrics metrics, ManagerSettings settings, Clock clock,
               LongSupplier nanoClock) {
        this.buckets = buckets;
        this.view = view;
        this.metrics = metrics;
        this.clock = clock;
        this.nanoClock = nanoClock;
        this.evictAfterNanos = settings.evictAfter().toNanos();
        this.ttlMs = settings.heartbeatTtl().toMillis();
    }

    /** Where a release record read from a bucket goes (the same path as the watch's entries). */
    void onReleaseEntry(Consumer<KvEntry> handler) {
        this.onReleaseEntry = handler;
    }

    /** Called when a member of the current record departed in an emergency. */
    void onEmergency(Runnable handler) {
        this.onEmergency = handler;
    }

    Map<Wire.MemberRef, Planner.Departed> departed() {
        return departed;
    }

    /** A new leader starts its own bookkeeping (the marks in release records stay). */
    void clear() {
        departed.clear();
    }

    boolean isGone(Wire.MemberRef r) {
        return view.recordSaysGone(r) || departed.containsKey(r);
    }

    /** Retries the "gone" writes that failed (every tick). */
    void retryGoneWrites() {
        for (Map.Entry<Wire.MemberRef, String> g : new ArrayList<>(goneToWrite.entrySet())) {
            if (writeGone(g.getKey(), g.getValue())) {
                goneToWrite.remove(g.getKey());
            }
        }
    }

    /** This member's own incarnation lapsed: mark it gone, now or later. */
    void lapsed(Wire.MemberRef self) {
        goneToWrite.put(self, "lapsed");
        writeGone(self, "lapsed");
    }

    /**
     * Finds incarnations that are gone and records why: silent members past T + G are evicted
     * (revision-checked delete); incarnations the assignment or a release record still names but
     * whose key was deleted, expired or taken by a newer incarnation are marked gone.
     */
    void resolve() {
        long now = nanoClock.getAsLong();
        for (MemberState m : new ArrayList<>(view.members.values())) {
            if (m.present && now - m.firstSeenNanos >= evictAfterNanos) {
                if (isGone(new Wire.MemberRef(m.id, m.inc))) {
                    removeStaleKey(m);
                } else {
                    evict(m);
                }
            }
        }
        if (!view.loaded()) {
            return;
        }
        Wire.Assignment current = view.current();
        Set<Wire.MemberRef> referenced = new LinkedHashSet<>();
        if (current != null) {
            referenced.addAll(current.members());
            for (List<Wire.WaitFor> ws : current.waitFor().values()) {
                for (Wire.WaitFor w : ws) {
                    referenced.add(w.ref());
                }
            }
        }
        for (Map.Entry<String, Wire.Release> e : view.releases.entrySet()) {
            if (!e.getValue().gone()) {
                referenced.add(new Wire.MemberRef(e.getKey(), e.getValue().inc()));
            }
        }
        for (Wire.MemberRef r : referenced) {
            if (isGone(r)) {
                Wire.Release rel = view.releases.get(r.id());
                if (!departed.containsKey(r)) {
                    // Gone by its own record (a graceful leave or a self-fence) or superseded.
                    boolean left = rel != null && rel.inc() == r.inc() && "left".equals(rel.reason());
                    MemberState seen = view.members.get(r.id());
                    long since = rel != null && rel.inc() == r.inc() ? rel.at() : clock.millis();
                    if (!left && seen != null && seen.inc == r.inc()) {
                        since = seen.lastBeatMs; // a lapse: the clock starts at its last heartbeat seen
                    }
                    markGone(r, left ? AssignMetricNames.KIND_PLANNED : AssignMetricNames.KIND_EMERGENCY, since, null);
                }
                continue;
            }
            MemberState m = view.members.get(r.id());
            if (m != null && m.present && m.inc == r.inc()) {
                continue; // alive; eviction handles silence
            }
            if (m != null && m.present && m.inc > r.inc()) {
                markGone(r, AssignMetricNames.KIND_EMERGENCY, clock.millis() - ttlMs, "superseded");
            } else if (m == null || !m.present || m.inc == 0) {
                // The view cannot tell: no entry, a deletion (of this incarnation or an older one?),
                // or a joining write not stamped yet. Revisions cannot tell either (the watch's
                // replica may number entries differently from the stream leader), so ask the leader.
                resolveOnLeader(r);
            }
        }
    }

    /** Revision-checked delete of a silent member's key: succeeds only if it has not renewed since we saw it. */
    private void evict(MemberState m) {
        Wire.MemberRef r = new Wire.MemberRef(m.id, m.inc);
        try {
            if (!deleteIfUnchanged(m)) {
                return;
            }
            metrics.evicted();
            LOG.infof("evicted %s (%s): no heartbeat for %d ms", m.id,
                    m.inc == 0 ? "a joining write never stamped with its incarnation" : "incarnation " + m.inc,
                    (nanoClock.getAsLong() - m.firstSeenNanos) / 1_000_000);
            markGone(r, AssignMetricNames.KIND_EMERGENCY, m.lastBeatMs, "evicted");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("evicting %s: %s", m.id, e.toString());
        }
    }

    /** The key of an incarnation already gone that could not delete its own key: deleted to free the id. */
    private void removeStaleKey(MemberState m) {
        try {
            if (deleteIfUnchanged(m)) {
                LOG.debugf("deleted the stale key of %s (incarnation %d, gone)", m.id, m.inc);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("deleting the stale key of %s: %s", m.id, e.toString());
        }
    }

    /**
     * Deletes a member's key if the stream leader still holds the heartbeat this view saw last,
     * expecting the leader's revision of it; the value identifies the entry on every replica,
     * the revision does not. If the leader holds something newer, the view takes it instead.
     */
    private boolean deleteIfUnchanged(MemberState m) throws IOException, JetStreamApiException, InterruptedException {
        KvEntry onLeader = buckets.members().readFromLeader(m.id).orElse(null);
        if (onLeader == null) {
            fenceExpired(m.id);
            return false;
        }
        if (!onLeader.put() || !Arrays.equals(onLeader.value(), m.value)) {
            view.applyMemberEntry(m, onLeader);
            return false;
        }
        try {
            buckets.members().delete(m.id, onLeader.revision());
            return true;
        } catch (JetStreamApiException e) {
            if (KvBucket.conflict(e)) {
                return false; // it renewed between the read and the delete: alive
            }
            throw e;
        }
    }

    /**
     * Decides about an incarnation the view cannot place, from the stream leader's latest entry of
     * its key. The incarnation's key was written (its record or an assignment names it), so a
     * deletion as the latest entry deleted it or a later one; a joining write not yet stamped is a
     * newer incarnation (a member stamps its key before it writes any record); a stamped heartbeat
     * goes into the view and the next evaluation compares incarnations.
     */
    private void resolveOnLeader(Wire.MemberRef r) {
        try {
            Optional<KvEntry> entry = buckets.members().readFromLeader(r.id());
            if (entry.isEmpty()) {
                fenceExpired(r.id()); // no entry at all (purged by hand)
                return;
            }
            MemberState m = view.member(r.id());
            KvEntry e = entry.get();
            if (!e.put()) {
                long deletedMs = e.createdMs(clock.millis());
                m.present = false;
                m.value = null;
                markGone(r, AssignMetricNames.KIND_EMERGENCY, m.inc == r.inc() && m.lastBeatMs > 0 ? m.lastBeatMs : deletedMs, "deleted");
                return;
            }
            long inc;
            try {
                inc = Wire.Heartbeat.decode(e.value()).inc();
            } catch (MalformedMessageException bad) {
                inc = 0;
            }
            if (inc == 0 || inc > r.inc()) {
                markGone(r, AssignMetricNames.KIND_EMERGENCY, clock.millis() - ttlMs, "superseded");
            }
            view.applyMemberEntry(m, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("reading member %s: %s", r.id(), e.toString());
        }
    }

    /** A key with no entry at all: proved absent by {@code delete(id, 0)}, which fails if an entry exists. */
    private void fenceExpired(String id) {
        MemberState m = view.members.get(id);
        try {
            buckets.members().delete(id, 0);
            if (m != null && m.present) {
                m.present = false;
                markGone(new Wire.MemberRef(m.id, m.inc), AssignMetricNames.KIND_EMERGENCY, m.lastBeatMs, "expired");
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("fencing expired member %s: %s", id, e.toString());
        }
    }

    private void markGone(Wire.MemberRef r, String kind, long sinceMs, String reason) {
        departed.putIfAbsent(r, new Planner.Departed(sinceMs, kind));
        Wire.Assignment current = view.current();
        if (current != null && current.members().contains(r) && AssignMetricNames.KIND_EMERGENCY.equals(kind)) {
            onEmergency.run();
        }
        if (reason != null && !writeGone(r, reason)) {
            goneToWrite.put(r, reason);
        }
    }

    /** Marks an incarnation gone in its release record (unless a newer incarnation or a "gone" is already there). */
    private boolean writeGone(Wire.MemberRef r, String reason) {
        Wire.Release rel = view.releases.get(r.id());
        if (rel == null && !view.releaseRevisions.containsKey(r.id())) {
            // Expecting "no record" is not checked before replicating (KvBucket.claimIfFree says why): ask the leader first.
            try {
                Optional<KvEntry> entry = buckets.releases().readFromLeader(r.id());
                if (entry.isPresent()) {
                    onReleaseEntry.accept(entry.get());
                    return false; // decided again on the next tick, with the record in view
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                return false;
            }
        }
        if (view.recordSaysGone(r)) {
            return true;
        }
        long expected = rel == null ? 0 : view.releaseRevisions.getOrDefault(r.id(), 0L);
        long asOf = rel != null && rel.inc() == r.inc() ? rel.asOf() : 0;
        Wire.Release gone = new Wire.Release(r.inc(), asOf, new int[0], true, reason, clock.millis(), List.of());
        try {
            long rev = buckets.releases().update(r.id(), Wire.encode(gone), expected);
            view.wroteRelease(r.id(), rev, gone);
            return true;
        } catch (JetStreamApiException e) {
            if (KvBucket.conflict(e)) {
                try {
                    buckets.releases().get(r.id()).ifPresent(onReleaseEntry);
                } catch (IOException | JetStreamApiException | RuntimeException ignored) {
                    // retried on the next tick
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}

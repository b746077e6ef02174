package io.natsoak.assign;

import io.natsoak.model.MalformedMessageException;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * This member's view of the buckets, built from the watches (and stream-leader reads): the
 * members, the release records and the newest assignment record. Loop-confined, except
 * {@link #latest}, which any thread may read.
 */
final class GroupView {

    private static final Logger LOG = Logger.getLogger(GroupView.class);

    private final MemberLease self;
    private final Watches watches;
    private final Clock clock;
    private final LongSupplier nanoClock;

    final Map<String, MemberState> members = new HashMap<>();
    final Map<String, Wire.Release> releases = new HashMap<>();
    final Map<String, Long> releaseRevisions = new HashMap<>();
    private Wire.Assignment current;
    private volatile Wire.Assignment latest;
    private long currentRevision;
    boolean membersLoaded;
    boolean assignmentLoaded;

    GroupView(MemberLease self, Watches watches, Clock clock, LongSupplier nanoClock) {
        this.self = self;
        this.watches = watches;
        this.clock = clock;
        this.nanoClock = nanoClock;
    }

    /** The newest assignment record seen (applied or not); null before the first. */
    Wire.Assignment current() {
        return current;
    }

    /** The same, for any thread. */
    Wire.Assignment latest() {
        return latest;
    }

    long currentRevision() {
        return currentRevision;
    }

    boolean loaded() {
        return membersLoaded && assignmentLoaded;
    }

    MemberState member(String id) {
        return members.computeIfAbsent(id, MemberState::new);
    }

    /** An entry from the members watch, applied in that watch's order; false for a replay. */
    boolean onMemberEntry(KvEntry entry) {
        MemberState m = member(entry.key());
        if (entry.revision() <= m.rev) {
            return false;
        }
        m.rev = entry.revision();
        applyMemberEntry(m, entry);
        return true;
    }

    /**
     * Applies a member key's entry (from the watch or a stream-leader read). The incarnation
     * comes from the heartbeat value, never from the entry's revision: a drifted replica numbers
     * the same entry differently from the stream leader (docs/partition-manager.md).
     */
    void applyMemberEntry(MemberState m, KvEntry entry) {
        Lease me = self.current();
        m.createdMs = entry.createdMs(clock.millis());
        if (entry.put()) {
            Wire.Heartbeat beat;
            try {
                beat = Wire.Heartbeat.decode(entry.value());
            } catch (MalformedMessageException e) {
                beat = null;
            }
            if (beat != null && me != null && me.holder.equals(m.id) && me.nonce.equals(beat.nonce())) {
                watches.echoed(beat.seq());
            }
            m.present = true;
            m.lastBeatMs = m.createdMs;
            m.inc = beat == null ? 0 : beat.inc();
            m.value = entry.value();
            m.firstSeenNanos = nanoClock.getAsLong(); // observed now, so it was written no later than now
        } else {
            m.present = false;
            m.value = null;
        }
    }

    /** A release record entry; the record when it is new and readable, else null. */
    Wire.Release onReleaseEntry(KvEntry entry) {
        String id = entry.key();
        Long known = releaseRevisions.get(id);
        if (known != null && entry.revision() <= known) {
            return null;
        }
        releaseRevisions.put(id, entry.revision());
        if (!entry.put()) {
            releases.remove(id);
            return null;
        }
        Wire.Release r;
        try {
            r = Wire.Release.decode(entry.value());
        } catch (MalformedMessageException e) {
            LOG.warnf("ignoring a malformed release record for %s: %s", id, e.getMessage());
            return null;
        }
        releases.put(id, r);
        return r;
    }

    /** A record this member wrote itself. */
    void wroteRelease(String id, long revision, Wire.Release r) {
        releaseRevisions.merge(id, revision, Math::max);
        releases.put(id, r);
    }

    /** An assignment entry; true when it is a newer version than the current one. */
    boolean onAssignmentEntry(KvEntry entry) {
        if (!entry.put() || entry.revision() <= currentRevision) {
            return false;
        }
        Wire.Assignment a;
        try {
            a = Wire.Assignment.decode(entry.value());
        } catch (MalformedMessageException e) {
            LOG.errorf("ignoring a malformed assignment record (revision %d): %s", entry.revision(), e.getMessage());
            return false;
        }
        if (current != null && a.version() <= current.version()) {
            return false;
        }
        published(a, entry.revision());
        return true;
    }

    /** A record this member published as leader, or read. */
    void published(Wire.Assignment a, long revision) {
        current = a;
        latest = a;
        currentRevision = revision;
    }

    /** Whether the records say this incarnation is over: a newer one exists, or its record says gone. */
    boolean recordSaysGone(Wire.MemberRef r) {
        Wire.Release rel = releases.get(r.id());
        return rel != null && (rel.inc() > r.inc() || (rel.inc() == r.inc() && rel.gone()));
    }

    /** Member ids of the newest record (a test view). */
    List<String> assignedMembers() {
        Wire.Assignment a = latest;
        return a == null ? List.of() : a.members().stream().map(Wire.MemberRef::id).toList();
    }
}

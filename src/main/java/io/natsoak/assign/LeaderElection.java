package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import io.natsoak.config.ManagerSettings;
import io.natsoak.model.MalformedMessageException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * The leader key: claiming it, renewing the leader lease, deleting a silent leader's key, and
 * following the key through its watch. Elections and renewals run on the heartbeat thread, the
 * watch and the take-over on the loop; {@link #lease} and {@link #leaderMember} are read anywhere.
 */
final class LeaderElection {

    private static final Logger LOG = Logger.getLogger(LeaderElection.class);

    private final GroupBuckets buckets;
    private final Loop loop;
    private final MemberLease member;
    private final ManagerMetrics metrics;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private final long leaseNanos;
    private final long ttlNanos;
    private Runnable onLeading = () -> { };

    private volatile Lease leaderLease;
    private volatile String leaderMember;
    /**
     * The leader claim the watch showed last (null once deleted) and when it first showed it; a
     * silent leader's key is deleted only if the stream leader still holds that same value.
     */
    private volatile byte[] leaderKeyValue;
    private volatile long leaderKeySeenNanos;
    /** Loop: the newest revision the watch showed, to skip replays. */
    private long leaderKeyNewest;
    /** Loop: the lease this member leads with, once the loop has taken over. */
    private Lease activeLeader;

    LeaderElection(GroupBuckets buckets, Loop loop, MemberLease member, ManagerMetrics metrics, ManagerSettings settings,
                   Clock clock, LongSupplier nanoClock) {
        this.buckets = buckets;
        this.loop = loop;
        this.member = member;
        this.metrics = metrics;
        this.clock = clock;
        this.nanoClock = nanoClock;
        this.leaseNanos = settings.lease().toNanos();
        this.ttlNanos = settings.heartbeatTtl().toNanos();
    }

    /** Called on the loop once this member leads (after the leader duties' state was reset). */
    void onLeading(Runnable handler) {
        this.onLeading = handler;
    }

    Lease lease() {
        return leaderLease;
    }

    String leaderMember() {
        return leaderMember;
    }

    boolean isLeader() {
        Lease ll = leaderLease;
        return ll != null && ll.valid(nanoClock.getAsLong());
    }

    /** Loop: this member leads and may act as leader now. */
    boolean leading() {
        Lease ll = leaderLease;
        return ll != null && ll == activeLeader && ll.valid(nanoClock.getAsLong()) && member.current() != null;
    }

    /** Heartbeat thread: claims the leader key if it is free or its holder went silent. */
    void tryElect(Lease l) throws InterruptedException {
        if (leaderKeyValue != null && nanoClock.getAsLong() - leaderKeySeenNanos < ttlNanos) {
            return; // the watch shows a leader that renewed recently: no read needed on every beat
        }
        try {
            Optional<KvEntry> entry = buckets.leader().readFromLeader(AssignNames.LEADER_KEY);
            if (entry.isPresent() && entry.get().put()) {
                leaderMember = Wire.LeaderClaim.decode(entry.get().value()).member();
                if (!evictSilentLeader(l, leaderMember, entry.get())) {
                    return;
                }
            }
            String nonce = UUID.randomUUID().toString();
            Optional<KvBucket.Claim> won = buckets.leader().claimIfFree(AssignNames.LEADER_KEY,
                    Wire.encode(new Wire.LeaderClaim(l.holder, nonce, clock.millis())), nanoClock);
            if (won.isEmpty()) {
                return;
            }
            Lease ll = new Lease(l.holder, 0, nonce, won.get().revision(), won.get().sentNanos() + leaseNanos);
            leaderLease = ll;
            leaderMember = l.holder;
            loop.post(() -> onBecameLeader(ll));
        } catch (JetStreamApiException e) {
            if (!KvBucket.conflict(e)) {
                LOG.debugf("%s: election attempt failed: %s", l.holder, e.toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debugf("%s: election attempt failed: %s", l.holder, e.toString());
        }
    }

    /**
     * Deletes the leader key once its value has not changed for T since this member first saw
     * it: its holder's leader lease (T - M after its last renewal was sent) is over. The delete
     * expects the stream leader's revision of that same claim, compared by value (the watch's
     * replica may number entries differently), so it fails if the leader renewed meanwhile.
     */
    private boolean evictSilentLeader(Lease l, String holder, KvEntry onLeader) {
        byte[] seen = leaderKeyValue;
        long silentNanos = nanoClock.getAsLong() - leaderKeySeenNanos;
        if (seen == null || silentNanos < ttlNanos) {
            return false;
        }
        if (!Arrays.equals(seen, onLeader.value())) {
            return false;
        }
        long rev = onLeader.revision();
        try {
            buckets.leader().delete(AssignNames.LEADER_KEY, rev);
            LOG.infof("%s: the leader key (%s, revision %d) was not renewed for %d ms; deleted it to elect a new leader",
                    l.holder, holder, rev, silentNanos / 1_000_000);
            return true;
        } catch (JetStreamApiException e) {
            if (!KvBucket.conflict(e)) {
                LOG.debugf("%s: deleting a silent leader key: %s", l.holder, e.toString());
            }
            return false;
        } catch (IOException | RuntimeException e) {
            LOG.debugf("%s: deleting a silent leader key: %s", l.holder, e.toString());
            return false;
        }
    }

    /** Heartbeat thread: one renewal of the leader lease, under the same rule as the member lease. */
    void renew(Lease ll) {
        Lease l = member.current();
        if (l == null || !l.valid(nanoClock.getAsLong())) {
            lapse(ll, "the membership lease is not valid");
            return;
        }
        byte[] value = Wire.encode(new Wire.LeaderClaim(ll.holder, ll.nonce, clock.millis()));
        long send = nanoClock.getAsLong();
        try {
            long rev = buckets.leader().update(AssignNames.LEADER_KEY, value, ll.rev);
            if (ll.lapsed || nanoClock.getAsLong() - ll.deadline >= 0) {
                lapse(ll, "a renewal was acknowledged only after the leader lease had expired");
                return;
            }
            ll.rev = rev;
            ll.deadline = send + leaseNanos;
        } catch (JetStreamApiException e) {
            if (KvBucket.conflict(e)) {
                lapse(ll, "the leader key was taken over or expired");
            } else if (nanoClock.getAsLong() - ll.deadline >= 0) {
                lapse(ll, "renewals failed until the leader lease expired (" + e + ")");
            }
        } catch (IOException e) {
            if (nanoClock.getAsLong() - ll.deadline >= 0) {
                lapse(ll, "renewals failed until the leader lease expired (" + e + ")");
            }
        }
    }

    private void lapse(Lease ll, String why) {
        ll.lapsed = true;
        loop.post(() -> lost(ll, why));
    }

    /** Loop: the lease check before every task. */
    void check(long now) {
        Lease ll = leaderLease;
        if (ll != null && !ll.valid(now)) {
            lost(ll, "leader lease lapsed");
        }
    }

    private void onBecameLeader(Lease ll) {
        if (ll != leaderLease || !ll.valid(nanoClock.getAsLong())) {
            return;
        }
        metrics.leader(true);
        activeLeader = ll;
        LOG.infof("%s is the leader", ll.holder);
        onLeading.run();
    }

    /** Loop: this leader lease is over. */
    void lost(Lease ll, String why) {
        ll.lapsed = true;
        if (activeLeader == ll) {
            activeLeader = null;
        }
        if (leaderLease == ll) {
            leaderLease = null;
            metrics.leader(false);
            LOG.infof("%s is no longer the leader: %s", ll.holder, why);
        }
    }

    /** Loop: steps down and deletes the leader key (revision-checked); {@code false} if it does not lead. */
    boolean stepDown(String why) throws IOException, JetStreamApiException {
        Lease ll = leaderLease;
        if (ll == null) {
            return false;
        }
        lost(ll, why);
        buckets.leader().delete(AssignNames.LEADER_KEY, ll.rev);
        return true;
    }

    /** Loop: an entry from the leader watch; true when the key was deleted (a step-down: try to take over now). */
    boolean onEntry(KvEntry entry) {
        if (entry.revision() <= leaderKeyNewest) {
            return false; // a replay after the watch was recreated
        }
        leaderKeyNewest = entry.revision();
        if (entry.put()) {
            leaderKeySeenNanos = nanoClock.getAsLong();
            leaderKeyValue = entry.value();
            try {
                leaderMember = Wire.LeaderClaim.decode(entry.value()).member();
            } catch (MalformedMessageException e) {
                leaderMember = null;
            }
            return false;
        }
        leaderKeyValue = null;
        leaderMember = null;
        return true;
    }

    /** Stop: no lease any more. */
    void clear() {
        leaderLease = null;
    }
}

package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * A graceful leave ({@code stop()}): revoke everything, wait for the listener's releases, then
 * record "gone" and delete the member's keys so that the others take over at once. Loop-confined.
 */
final class GracefulLeave {

    private static final Logger LOG = Logger.getLogger(GracefulLeave.class);

    private final GroupBuckets buckets;
    private final MemberLease member;
    private final LeaderElection election;
    private final Holdings holdings;
    private final ReleaseRecord record;
    private final ListenerCalls listener;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private CompletableFuture<Boolean> waiter;

    GracefulLeave(GroupBuckets buckets, MemberLease member, LeaderElection election, Holdings holdings, ReleaseRecord record,
                  ListenerCalls listener, Clock clock, LongSupplier nanoClock) {
        this.buckets = buckets;
        this.member = member;
        this.election = election;
        this.holdings = holdings;
        this.record = record;
        this.listener = listener;
        this.clock = clock;
        this.nanoClock = nanoClock;
    }

    /** Revokes everything; {@code releasedAll} completes once the listener released it all. */
    void begin(CompletableFuture<Boolean> releasedAll) {
        waiter = releasedAll;
        holdings.revokeAll();
        checkDone();
    }

    /** After every release (and a lapse): completes the wait once nothing is held. */
    void checkDone() {
        if (holdings.leaving() && waiter != null && holdings.holdsNothing()) {
            waiter.complete(true);
            waiter = null;
        }
    }

    /**
     * Heartbeats have stopped. Clean: record "gone" and delete the membership key (the leader
     * rebalances at once, no TTL wait). Not clean: tell the listener it lost what it still holds and
     * leave the key for the leader to evict, so the others wait for the lease to lapse before taking over.
     */
    void finish(boolean clean, CompletableFuture<Boolean> done) {
        Lease l = member.current();
        try {
            if (l == null) {
                return;
            }
            if (!clean || !l.valid(nanoClock.getAsLong())) {
                Set<Integer> lost = holdings.dropAll();
                if (!lost.isEmpty()) {
                    listener.fenced(lost);
                }
                return;
            }
            record.writeLeaving(l, new Wire.Release(l.inc, holdings.applied(), new int[0], true, "left", clock.millis(), List.of()));
            // From here on the others may take the partitions: the record says this incarnation is gone.
            try {
                buckets.members().delete(l.holder, l.rev);
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debugf("%s: deleting the membership key: %s (the leader evicts it)", l.holder, e.toString());
            }
            try {
                election.stepDown("left the group");
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debugf("%s: deleting the leader key: %s (a follower evicts it)", l.holder, e.toString());
            }
            LOG.infof("%s (incarnation %d) left the group", l.holder, l.inc);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.warnf("%s: leaving cleanly failed (%s); the others will wait for the eviction (TTL + grace)", member.who(), e.toString());
        } finally {
            member.set(null);
            record.clean();
            done.complete(true);
        }
    }
}

package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import io.natsoak.config.ManagerSettings;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The member's lease on its {@code members} key: joining (the lowest free id), renewing, and
 * noticing that it lapsed. Joins run on the starting thread or the loop, renewals on the
 * heartbeat thread; {@link #current} is read anywhere. A lapse is reported to the loop.
 */
final class MemberLease {

    private static final Logger LOG = Logger.getLogger(MemberLease.class);
    private static final int MAX_MEMBER_NUMBER = 100_000;

    /** A new incarnation: its lease and the revision of its first release record. */
    record Joined(Lease lease, long recordRevision) {
    }

    private final GroupBuckets buckets;
    private final Loop loop;
    private final Watches watches;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private final String instance;
    private final long leaseNanos;
    private BiConsumer<Lease, String> onLapse = (l, why) -> { };
    private volatile Lease lease;

    MemberLease(GroupBuckets buckets, Loop loop, Watches watches, ManagerSettings settings, Clock clock,
                LongSupplier nanoClock, String instance) {
        this.buckets = buckets;
        this.loop = loop;
        this.watches = watches;
        this.clock = clock;
        this.nanoClock = nanoClock;
        this.instance = instance;
        this.leaseNanos = settings.lease().toNanos();
    }

    /** Called on the loop when a renewal finds the lease lapsed. */
    void onLapse(BiConsumer<Lease, String> handler) {
        this.onLapse = handler;
    }

    Lease current() {
        return lease;
    }

    void set(Lease l) {
        lease = l;
    }

    boolean valid() {
        Lease l = lease;
        return l != null && l.valid(nanoClock.getAsLong());
    }

    /** This member's id for logs, or the connection name while it is not a member. */
    String who() {
        Lease l = lease;
        return l == null ? instance : l.holder;
    }

    /** Claims the lowest free {@code worker-<n>} ({@link KvBucket#claimIfFree}). */
    Joined join() throws Exception {
        String nonce = UUID.randomUUID().toString();
        for (int n = 0; n < MAX_MEMBER_NUMBER; n++) {
            String id = MemberIds.of(n);
            byte[] value = Wire.encode(new Wire.Heartbeat(id, 0, nonce, 0, clock.millis(), instance));
            long send = nanoClock.getAsLong();
            try {
                Optional<KvBucket.Claim> claim = buckets.members().claimIfFree(id, value, nanoClock);
                if (claim.isEmpty()) {
                    continue;
                }
                long rev = claim.get().revision();
                Lease l = new Lease(id, rev, nonce, rev, claim.get().sentNanos() + leaseNanos);
                stampIncarnation(l);
                return new Joined(l, writeFirstRecord(l));
            } catch (IOException e) {
                // The write may have been stored although its reply was lost: adopt it if it is ours.
                KvEntry entry = buckets.members().readFromLeader(id).orElse(null);
                Wire.Heartbeat stored = entry == null || !entry.put() ? null : Wire.Heartbeat.decode(entry.value());
                if (stored != null && nonce.equals(stored.nonce())) {
                    // Either the joining write (no incarnation yet: it is this revision) or its stamp.
                    long inc = stored.inc() > 0 ? stored.inc() : entry.revision();
                    Lease l = new Lease(id, inc, nonce, entry.revision(), send + leaseNanos);
                    l.seq = stored.seq();
                    if (stored.inc() == 0) {
                        stampIncarnation(l);
                    }
                    return new Joined(l, writeFirstRecord(l));
                }
                throw e;
            }
        }
        throw new IllegalStateException("no free member id below " + MAX_MEMBER_NUMBER);
    }

    /**
     * The joining write cannot carry its incarnation (its revision, known only from the reply), so
     * the new member writes it at once, before its first release record: from then on every view
     * learns the incarnation from the value ({@link GroupView#applyMemberEntry}), and an
     * incarnation that any record names is already stamped on its key.
     */
    private void stampIncarnation(Lease l) throws IOException, JetStreamApiException {
        byte[] value = Wire.encode(new Wire.Heartbeat(l.holder, l.inc, l.nonce, ++l.seq, clock.millis(), instance));
        long send = nanoClock.getAsLong();
        l.rev = buckets.members().update(l.holder, value, l.rev);
        // The stamp is the first renewal. The lease counts from its sending even if the join's
        // reply came late (a stream election): the write expected the join's revision, so the key
        // was not evicted in between, and a new incarnation holds nothing it could have lost.
        l.deadline = send + leaseNanos;
    }

    /** The new incarnation's first release record: it holds nothing as of version 0. Its revision. */
    private long writeFirstRecord(Lease l) throws IOException, JetStreamApiException, InterruptedException {
        byte[] value = Wire.encode(new Wire.Release(l.inc, 0, new int[0], false, null, clock.millis(), List.of()));
        for (int attempt = 0; ; attempt++) {
            // from the leader: a stale "no record" would replicate a write doomed to fail (claimIfFree says why)
            KvEntry existing = buckets.releases().readFromLeader(l.holder).orElse(null);
            try {
                return buckets.releases().update(l.holder, value, existing == null ? 0 : existing.revision());
            } catch (JetStreamApiException e) {
                if (!KvBucket.conflict(e) || attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    /** Heartbeat thread: one renewal; extends the lease only if acknowledged before it ended. */
    void renew(Lease l) throws InterruptedException {
        byte[] value = Wire.encode(new Wire.Heartbeat(l.holder, l.inc, l.nonce, ++l.seq, clock.millis(), instance));
        long send = nanoClock.getAsLong();
        try {
            long rev = buckets.members().update(l.holder, value, l.rev);
            long ack = nanoClock.getAsLong();
            if (l.lapsed || ack - l.deadline >= 0) {
                lapse(l, "a renewal was acknowledged only after the lease had expired");
                return;
            }
            l.rev = rev;
            l.deadline = send + leaseNanos;
            watches.acked(l.seq);
        } catch (JetStreamApiException e) {
            if (KvBucket.conflict(e)) {
                adoptOrLapse(l);
            } else {
                lapseIfExpired(l, e);
            }
        } catch (IOException e) {
            lapseIfExpired(l, e);
        }
    }

    /** The revision moved under us: either our own renewal whose reply was lost (adopt it), or we were evicted. */
    private void adoptOrLapse(Lease l) throws InterruptedException {
        try {
            // From the stream leader: the revision is for the next update, which the leader checks.
            KvEntry entry = buckets.members().readFromLeader(l.holder).orElse(null);
            if (entry != null && entry.put() && l.nonce.equals(Wire.Heartbeat.decode(entry.value()).nonce())) {
                l.rev = entry.revision(); // the deadline is not extended by a renewal whose send time is unknown
                return;
            }
            lapse(l, "the membership key was deleted or taken over (evicted)");
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            lapseIfExpired(l, e);
        }
    }

    private void lapseIfExpired(Lease l, Exception cause) {
        if (nanoClock.getAsLong() - l.deadline >= 0) {
            lapse(l, "renewals failed until the lease expired (" + cause + ")");
        } else {
            LOG.debugf("%s: renewal failed: %s", l.holder, cause.toString());
        }
    }

    private void lapse(Lease l, String why) {
        l.lapsed = true;
        loop.post(() -> onLapse.accept(l, why));
    }
}

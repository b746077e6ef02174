package io.natsoak.assign;

import io.natsoak.config.ManagerSettings;
import io.natsoak.lifecycle.OwnedExecutor;
import org.jboss.logging.Logger;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The heartbeat thread ({@code assign-heartbeat-n}): every interval it renews the member lease,
 * then renews the leader lease or, as a follower, tries to become leader.
 */
final class Heartbeat {

    private static final Logger LOG = Logger.getLogger(Heartbeat.class);

    private final MemberLease member;
    private final LeaderElection election;
    private final LongSupplier nanoClock;
    private final long intervalMs;
    private volatile OwnedExecutor.Scheduler scheduler;
    /** Renewals are skipped until then (a test's simulated outage or freeze). */
    private volatile long pausedUntilNanos;

    Heartbeat(MemberLease member, LeaderElection election, ManagerSettings settings, LongSupplier nanoClock) {
        this.member = member;
        this.election = election;
        this.nanoClock = nanoClock;
        this.intervalMs = settings.heartbeatInterval().toMillis();
        this.pausedUntilNanos = nanoClock.getAsLong();
    }

    void start() {
        OwnedExecutor.Scheduler s = OwnedExecutor.scheduler(PartitionManager.COMPONENT, "heartbeat");
        scheduler = s;
        s.executor().scheduleWithFixedDelay(this::tick, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    /** Stops the thread; no renewal runs after this returns. */
    void stop() {
        OwnedExecutor.Scheduler s = scheduler;
        scheduler = null;
        if (s != null) {
            s.close();
        }
    }

    /** Test seam: renewals are skipped until {@code nanos} (as if they failed). */
    void pauseUntil(long nanos) {
        pausedUntilNanos = nanos;
    }

    private boolean paused() {
        return nanoClock.getAsLong() - pausedUntilNanos < 0;
    }

    /** One round; package-private so a test can drive it. */
    void tick() {
        try {
            if (paused()) {
                return;
            }
            Lease l = member.current();
            if (l != null && !l.lapsed) {
                member.renew(l);
            }
            Lease ll = election.lease();
            if (ll != null && !ll.lapsed) {
                election.renew(ll);
            } else {
                l = member.current();
                if (l != null && l.valid(nanoClock.getAsLong())) {
                    election.tryElect(l);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warnf("%s: heartbeat failed: %s", member.who(), e.toString());
        }
    }

    /** The leader key was deleted (a graceful step-down): try to take over now instead of at the next round. */
    void electSoon() {
        OwnedExecutor.Scheduler s = scheduler;
        if (s == null) {
            return;
        }
        try {
            s.executor().execute(() -> {
                Lease l = member.current();
                if (election.lease() == null && l != null && l.valid(nanoClock.getAsLong()) && !paused()) {
                    try {
                        election.tryElect(l);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
        } catch (RejectedExecutionException ignored) {
            // stopping
        }
    }
}

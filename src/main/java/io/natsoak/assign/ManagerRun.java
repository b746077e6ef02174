package io.natsoak.assign;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.natsoak.config.ManagerSettings;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One run of the manager, from start to stop: wires the parts and runs what crosses them on the
 * loop (the tick, the lease checks, a lapse and the rejoin, the watches' entries). A new run
 * starts with fresh parts, so a restart begins from empty state.
 */
final class ManagerRun implements Watches.Handlers {

    private static final Logger LOG = Logger.getLogger(ManagerRun.class);
    static final long TICK_MS = 100;
    /** Watches are the fast path; this poll is the safety net if one stalls. */
    private static final long POLL_NANOS = Duration.ofSeconds(1).toNanos();
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    final Loop loop;
    final Watches watches;
    final MemberLease member;
    final LeaderElection election;
    final Heartbeat heartbeat;
    final GroupView view;
    final ReleaseRecord record;
    final Holdings holdings;
    final AwaitedReleases awaited;
    final Departures departures;
    final RecoveryTracker recoveries;
    final Rebalancer rebalancer;
    final GracefulLeave leave;
    private final GroupBuckets buckets;
    private final ListenerCalls listener;
    private final ManagerSettings settings;
    private final ManagerMetrics metrics;
    private final LongSupplier nanoClock;
    private final String instance;
    private final String runId;
    private long lastPollNanos;

    ManagerRun(Connection connection, AssignNames names, GroupBuckets buckets, ManagerSettings settings, PartitionAssigner strategy,
               PartitionManager.Listener listener, Clock clock, LongSupplier nanoClock, ManagerMetrics metrics, String instance,
               Supplier<double[]> weights) {
        this.buckets = buckets;
        this.settings = settings;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        this.instance = instance;
        this.runId = names.runId();
        MemberLease[] self = new MemberLease[1];
        this.loop = new Loop(() -> self[0].who());
        this.watches = new Watches(connection, names, loop, settings);
        this.member = new MemberLease(buckets, loop, watches, settings, clock, nanoClock, instance);
        self[0] = member;
        this.listener = new ListenerCalls(listener, member::who);
        this.election = new LeaderElection(buckets, loop, member, metrics, settings, clock, nanoClock);
        this.heartbeat = new Heartbeat(member, election, settings, nanoClock);
        this.view = new GroupView(member, watches, clock, nanoClock);
        this.record = new ReleaseRecord(buckets, view, loop, settings);
        this.holdings = new Holdings(view, member, record, this.listener, metrics, loop, settings.partitions(), clock, nanoClock);
        this.awaited = new AwaitedReleases(view, holdings, settings);
        this.departures = new Departures(buckets, view, metrics, settings, clock, nanoClock);
        this.recoveries = new RecoveryTracker(view, metrics, clock);
        this.rebalancer = new Rebalancer(buckets, view, departures, recoveries, election, holdings, strategy, weights, metrics,
                settings, clock, nanoClock);
        this.leave = new GracefulLeave(buckets, member, election, holdings, record, this.listener, clock, nanoClock);
        loop.around(this::checkLeases, holdings::flush);
        member.onLapse(this::onLapse);
        record.onGone(this::onLapse);
        election.onLeading(rebalancer::becameLeader);
        departures.onReleaseEntry(this::release);
        departures.onEmergency(rebalancer::emergency);
        rebalancer.stoppedWhen(loop::closed);
    }

    /** Opens the watches, joins the group (blocks until it has an id), and starts the heartbeat and the tick. */
    void start() throws Exception {
        loop.open();
        loop.start();
        watches.open(this);
        MemberLease.Joined joined = Retry.within(Provisioner.START_PATIENCE, "joining the group", member::join);
        Duration patience = settings.requestTimeout().multipliedBy(4).plus(STOP_WAIT);
        if (!loop.call(() -> install(joined), patience, false)) {
            throw new IllegalStateException("the loop did not install the membership within " + patience);
        }
        heartbeat.start();
        loop.every(TICK_MS, this::tick);
        LOG.infof("partition manager %s joined as %s (incarnation %d) in run %s", instance, joined.lease().holder, joined.lease().inc,
                runId);
    }

    /** Leaves (cleanly if {@code leave}), then stops the threads and closes the watches. */
    void stop(boolean leave) {
        if (loop.onLoopThread()) {
            // Waiting for the loop from the loop would deadlock: leave as a crash would.
            LOG.errorf("%s: stop() called from a listener callback; stopping without a clean leave", member.who());
            leave = false;
        }
        boolean clean = false;
        boolean wasMember = leave && member.current() != null;
        if (wasMember) {
            CompletableFuture<Boolean> releasedAll = new CompletableFuture<>();
            loop.post(() -> this.leave.begin(releasedAll));
            clean = Loop.await(releasedAll, settings.releaseTimeout().plus(settings.requestTimeout()), false);
            if (!clean) {
                LOG.warnf("%s: the listener did not release everything within %s; leaving without a clean handoff (the others wait for the eviction, TTL + grace)",
                        member.who(), settings.releaseTimeout());
            }
        }
        heartbeat.stop();
        if (wasMember) {
            CompletableFuture<Boolean> left = new CompletableFuture<>();
            boolean releasedClean = clean;
            loop.post(() -> this.leave.finish(releasedClean, left));
            Loop.await(left, settings.requestTimeout().multipliedBy(4), false);
        }
        loop.stopAccepting();
        watches.closeAll();
        loop.close();
        member.set(null);
        election.clear();
        holdings.clear();
    }

    /** Any thread: the listener finished a revoke. */
    void released(long version, Set<Integer> partitions) {
        loop.post(() -> {
            if (holdings.onReleased(version, partitions)) {
                leave.checkDone();
            }
        });
    }

    /** On the loop: the member is in; apply whatever assignment is already known. */
    boolean install(MemberLease.Joined joined) {
        watches.restart(); // heartbeat sequences start again with each incarnation
        record.joined(joined.recordRevision());
        member.set(joined.lease());
        holdings.install();
        return true;
    }

    /** Before every loop task: a lease that ran out is acted on before anything else. */
    private void checkLeases() {
        long now = nanoClock.getAsLong();
        Lease l = member.current();
        if (l != null && !l.valid(now)) {
            onLapse(l, l.lapsed ? "lease lapsed" : "no renewal acknowledged within the lease");
        }
        election.check(now);
    }

    void tick() {
        long now = nanoClock.getAsLong();
        watches.watchdog(now, member.current() != null, member.who());
        if (now - lastPollNanos >= POLL_NANOS && member.current() != null) {
            lastPollNanos = now;
            rebalancer.reloadAssignment();
            pollAwaitedReleases();
        }
        if (!holdings.pendingPartitions().isEmpty() && view.current() != null) {
            holdings.tryGrant();
            awaited.warnIfLong(nanoClock.getAsLong(), member.current(), member.who());
        }
        departures.retryGoneWrites();
        rebalancer.evaluate();
    }

    /** Re-reads the release records the pending partitions wait for (in case the releases watch stalled). */
    private void pollAwaitedReleases() {
        if (view.current() == null || holdings.pendingPartitions().isEmpty()) {
            return;
        }
        for (String id : awaited.ids(member.current())) {
            try {
                buckets.releases().get(id).ifPresent(this::release);
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debugf("reading the release record of %s: %s", id, e.toString());
            }
        }
    }

    /**
     * The lease lapsed: everything this member held may already be someone else's. Tell the
     * listener, clean up what can be cleaned (revision-checked, so nothing of a successor is
     * touched) and join again as a new incarnation.
     */
    void onLapse(Lease l, String why) {
        if (l != member.current()) {
            return;
        }
        l.lapsed = true;
        member.set(null);
        Set<Integer> lost = holdings.fence();
        metrics.fenced();
        LOG.warnf("%s (incarnation %d) fenced itself: %s; it held %d partitions", l.holder, l.inc, why, lost.size());
        try {
            election.stepDown("membership lease lapsed");
        } catch (IOException | JetStreamApiException | RuntimeException ignored) {
            // a follower deletes it once it has not changed for T
        }
        if (!lost.isEmpty()) {
            listener.fenced(lost);
        }
        try {
            buckets.members().delete(l.holder, l.rev);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("%s: deleting the lapsed membership key: %s", l.holder, e.toString());
        }
        departures.lapsed(new Wire.MemberRef(l.holder, l.inc));
        leave.checkDone();
        if (!loop.closed() && !holdings.leaving()) {
            loop.execute(this::rejoin);
        }
    }

    private void rejoin() {
        if (loop.closed() || holdings.leaving() || member.current() != null) {
            return;
        }
        try {
            MemberLease.Joined joined = Retry.until("joining the group again", () -> loop.closed() || holdings.leaving(), member::join,
                    (what, n, e) -> LOG.infof("%s failed (%s); retrying", what, e.toString()));
            install(joined);
            LOG.infof("%s rejoined as %s (incarnation %d)", instance, joined.lease().holder, joined.lease().inc);
        } catch (Retry.Abandoned e) {
            LOG.debugf("rejoin abandoned: %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // Watch entries (on the loop) -------------------------------------------------------------

    @Override
    public void member(KvEntry e) {
        if (view.onMemberEntry(e)) {
            rebalancer.evaluate();
        }
    }

    @Override
    public void membersLoaded() {
        view.membersLoaded = true;
    }

    @Override
    public void release(KvEntry e) {
        Wire.Release r = view.onReleaseEntry(e);
        if (r == null) {
            return;
        }
        Lease l = member.current();
        if (l != null && l.holder.equals(e.key())) {
            if (r.inc() > l.inc || (r.inc() == l.inc && r.gone() && !holdings.leaving())) {
                onLapse(l, "the release record says this incarnation is gone");
                return;
            }
        }
        holdings.tryGrant();
        rebalancer.evaluate();
    }

    @Override
    public void assignment(KvEntry e) {
        rebalancer.onAssignmentEntry(e);
    }

    @Override
    public void assignmentLoaded() {
        view.assignmentLoaded = true;
        rebalancer.evaluate();
    }

    @Override
    public void leader(KvEntry e) {
        if (election.onEntry(e)) {
            heartbeat.electSoon();
        }
    }
}

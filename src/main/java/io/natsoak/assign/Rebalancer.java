package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import io.natsoak.config.ManagerSettings;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The leader's rebalance policy (cold start, emergency, planned) and the publication of
 * assignment records, revision-checked so that records form one chain. Loop-confined.
 */
final class Rebalancer {

    private static final Logger LOG = Logger.getLogger(Rebalancer.class);

    private final GroupBuckets buckets;
    private final GroupView view;
    private final Departures departures;
    private final RecoveryTracker recoveries;
    private final LeaderElection election;
    private final Holdings holdings;
    private final PartitionAssigner strategy;
    private final ManagerMetrics metrics;
    private final ManagerSettings settings;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private BooleanSupplier stopped = () -> false;

    private final Supplier<double[]> weights;
    private long leaderSinceNanos;
    private long lastRebalanceNanos;
    private long changeSinceNanos = -1;
    private boolean emergencyPending;
    private boolean weightsDirty;

    Rebalancer(GroupBuckets buckets, GroupView view, Departures departures, RecoveryTracker recoveries, LeaderElection election,
               Holdings holdings, PartitionAssigner strategy, Supplier<double[]> weights, ManagerMetrics metrics, ManagerSettings settings,
               Clock clock, LongSupplier nanoClock) {
        this.buckets = buckets;
        this.view = view;
        this.departures = departures;
        this.recoveries = recoveries;
        this.election = election;
        this.holdings = holdings;
        this.strategy = strategy;
        this.weights = weights;
        this.metrics = metrics;
        this.settings = settings;
        this.clock = clock;
        this.nanoClock = nanoClock;
    }

    /** True while no evaluation may run (the manager is stopping). */
    void stoppedWhen(BooleanSupplier condition) {
        this.stopped = condition;
    }

    /** The weights changed: a planned rebalance. */
    void weightsChanged() {
        weightsDirty = true;
        evaluate();
    }

    /** A member of the current record departed: publish at once. */
    void emergency() {
        emergencyPending = true;
    }

    /** This member just became leader: it starts its duties afresh, with the history its view already holds. */
    void becameLeader() {
        long now = nanoClock.getAsLong();
        leaderSinceNanos = now;
        lastRebalanceNanos = now - settings.minRebalanceInterval().toNanos();
        changeSinceNanos = -1;
        emergencyPending = false;
        weightsDirty = false;
        departures.clear();
        recoveries.clear();
        evaluate();
    }

    /** The leader's duties, run after every change the loop sees and on every tick. */
    void evaluate() {
        if (!election.leading() || stopped.getAsBoolean() || holdings.leaving()) {
            return;
        }
        departures.resolve();
        if (!view.loaded()) {
            return;
        }
        recoveries.track();
        List<Wire.MemberRef> live = liveMembers();
        long now = nanoClock.getAsLong();
        if (live.isEmpty()) {
            return;
        }
        Wire.Assignment current = view.current();
        if (current == null) {
            if (now - leaderSinceNanos >= settings.coldStartWindow().toNanos()) {
                publish(AssignMetricNames.KIND_COLD_START, live);
            }
            return;
        }
        boolean changed = !current.members().equals(live) || weightsDirty || current.partitions() != settings.partitions();
        if (!changed) {
            changeSinceNanos = -1;
            emergencyPending = false;
            return;
        }
        if (changeSinceNanos < 0) {
            changeSinceNanos = now;
        }
        boolean due = emergencyPending
                || (now - changeSinceNanos >= settings.plannedWindow().toNanos()
                    && now - lastRebalanceNanos >= settings.minRebalanceInterval().toNanos());
        if (due) {
            publish(emergencyPending ? AssignMetricNames.KIND_EMERGENCY : AssignMetricNames.KIND_PLANNED, live);
        }
    }

    private List<Wire.MemberRef> liveMembers() {
        List<Wire.MemberRef> live = new ArrayList<>();
        for (MemberState m : view.members.values()) {
            if (m.present && m.inc > 0) { // a joining write without its incarnation stamp is not a member yet
                Wire.MemberRef r = new Wire.MemberRef(m.id, m.inc);
                if (!departures.isGone(r)) {
                    live.add(r);
                }
            }
        }
        return Planner.sorted(live);
    }

    private void publish(String kind, List<Wire.MemberRef> live) {
        Lease ll = election.lease();
        if (ll == null) {
            return;
        }
        Wire.Assignment current = view.current();
        Wire.Assignment next = Planner.next(current, live, weights.get(), strategy, view.releases, departures.departed(), ll.holder,
                kind, clock.millis());
        try {
            long rev = current == null
                    ? buckets.assignment().create(AssignNames.ASSIGNMENT_KEY, next.encode())
                    : buckets.assignment().update(AssignNames.ASSIGNMENT_KEY, next.encode(), view.currentRevision());
            view.published(next, rev);
            lastRebalanceNanos = nanoClock.getAsLong();
            changeSinceNanos = -1;
            emergencyPending = false;
            weightsDirty = false;
            metrics.rebalanced(kind);
            LOG.infof("%s published assignment version %d (%s, %d members, %d partitions moved, %d waiting for a release)",
                    ll.holder, next.version(), kind, live.size(), moved(current, next), next.waitFor().size());
            holdings.applyLatest();
        } catch (JetStreamApiException e) {
            if (KvBucket.conflict(e)) {
                reloadAssignment();
            } else {
                LOG.warnf("publishing assignment version %d failed: %s", next.version(), e.toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("publishing assignment version %d failed: %s", next.version(), e.toString());
        }
    }

    /** Reads the assignment record (after a lost race, and once a second in case the watch stalled). */
    void reloadAssignment() {
        try {
            buckets.assignment().get(AssignNames.ASSIGNMENT_KEY).ifPresent(this::onAssignmentEntry);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("reading the assignment: %s", e.toString());
        }
    }

    /** An assignment entry from the watch or a read: a newer record is applied, then evaluated. */
    void onAssignmentEntry(KvEntry entry) {
        if (view.onAssignmentEntry(entry)) {
            holdings.applyLatest();
            evaluate();
        }
    }

    private static int moved(Wire.Assignment before, Wire.Assignment after) {
        if (before == null) {
            return 0;
        }
        int n = 0;
        for (int p = 0; p < after.partitions(); p++) {
            Wire.MemberRef a = before.ownerOf(p);
            if (a != null && !a.equals(after.ownerOf(p))) {
                n++;
            }
        }
        return n;
    }
}

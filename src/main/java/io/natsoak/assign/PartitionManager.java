package io.natsoak.assign;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.natsoak.config.ManagerSettings;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;

import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Shares partitions between the members of a worker group through NATS KV only.
 * <p>
 * <b>Membership.</b> A member claims the lowest free id {@code worker-<n>} in the members bucket;
 * the revision of that write is its <i>incarnation</i>. It owns partitions only while its last
 * acknowledged renewal was sent less than {@code T - M} ago; when that lapses it fences itself
 * (tells the listener), and joins again as a new incarnation.
 * <p>
 * <b>Leader.</b> One member leads: it evicts silent members and publishes versioned assignment
 * records with revision-checked writes, so records form a single chain even if two members
 * briefly both believe they lead.
 * <p>
 * <b>Handoff.</b> A member that loses a partition is told {@link Listener#revoke}; once the
 * listener calls {@link #released}, its release record says it no longer holds the partition.
 * The new owner is told {@link Listener#grant} only when every incarnation that may still hold
 * the partition has confirmed that, or is gone ({@link Handoff}).
 * <p>
 * Threads: {@code assign-loop-n} runs every state change and listener callback (one at a time);
 * {@code assign-heartbeat-n} renews the leases. This class is a facade over the parts of one
 * {@link ManagerRun}; docs/partition-manager.md has the protocol, the time bounds, and a map of
 * the parts (who owns which state, on which thread).
 */
public final class PartitionManager extends GuardedComponent {

    /**
     * What the worker implements. Callbacks run on the manager's loop thread, one at a time, and must
     * return quickly (start or stop consumption asynchronously). Do not call {@link #stop()} from a callback.
     */
    public interface Listener {

        /** Start consuming these partitions; every previous holder has released them (or is gone). */
        void grant(long version, Set<Integer> partitions);

        /**
         * Stop pulling these partitions, finish what is in flight (receipts published, acks and
         * position commits done), then call {@link PartitionManager#released(long, Set)} with the same
         * version (from any thread, any time later; the new owner waits until then).
         */
        void revoke(long version, Set<Integer> partitions);

        /**
         * This member's lease lapsed (it was frozen, cut off from NATS, or evicted): it no longer
         * owns these partitions and others may already consume them. Stop at once and commit
         * nothing for them; no {@code released} call is expected. The manager joins again by itself.
         */
        void fenced(Set<Integer> partitions);
    }

    static final String COMPONENT = "assign";

    private final Connection connection;
    private final AssignNames names;
    private final int replicas;
    private final ManagerSettings settings;
    private final PartitionAssigner strategy;
    private final Listener listener;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private final String instance;
    private final ManagerMetrics metrics;
    private volatile double[] weights;
    /** The current run (kept after stop, so that its last views stay readable); null before the first start. */
    private volatile ManagerRun run;
    private volatile boolean leaveOnStop = true;

    /**
     * @param connection owned by the caller (not closed by the manager); each member needs its own
     *                   for kill tests, but production may share the worker's
     * @param runId      keeps runs that share a NATS cluster apart ({@link AssignNames})
     * @param replicas   replicas of the four buckets (3 on a 3-node cluster)
     * @param clock      wall clock for the times in records and recovery metrics only; leases use
     *                   {@link System#nanoTime()}
     * @param registry   receives the {@link AssignMetricNames} meters; one manager per registry
     */
    public PartitionManager(Connection connection, String runId, int replicas, ManagerSettings settings,
                            PartitionAssigner strategy, Listener listener, Clock clock, MeterRegistry registry) {
        this(connection, runId, replicas, settings, strategy, listener, clock, System::nanoTime, registry);
    }

    /** The same with the monotonic clock the leases use (a test's). */
    PartitionManager(Connection connection, String runId, int replicas, ManagerSettings settings, PartitionAssigner strategy,
                     Listener listener, Clock clock, LongSupplier nanoClock, MeterRegistry registry) {
        super(COMPONENT);
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be >= 1, got " + replicas);
        }
        this.connection = connection;
        this.names = new AssignNames(runId);
        this.replicas = replicas;
        this.settings = settings;
        this.strategy = strategy;
        this.listener = listener;
        this.clock = clock;
        this.nanoClock = nanoClock;
        String connectionName = connection.getOptions().getConnectionName();
        this.instance = connectionName == null ? "" : connectionName;
        double[] uniform = new double[settings.partitions()];
        Arrays.fill(uniform, 1.0);
        this.weights = uniform;
        this.metrics = new ManagerMetrics(registry);
    }

    // ------------------------------------------------------------------------------------------
    // Public API

    /** Call once the listener has finished the partitions it was told to {@link Listener#revoke revoke}. Any thread. */
    public void released(long version, Set<Integer> partitions) {
        ManagerRun r = run;
        if (r != null) {
            r.released(version, Set.copyOf(partitions));
        }
    }

    /**
     * True while this member holds the partition and its lease is valid. Check it before each pull
     * and before each commit: it turns false by itself the moment the lease lapses, even when the
     * whole process was frozen and no thread has run since.
     */
    public boolean owns(int partition) {
        return leaseValid() && run.holdings.heldView().contains(partition);
    }

    /** True while this member's lease is valid (the fencing check without a partition). */
    public boolean leaseValid() {
        ManagerRun r = run;
        return r != null && r.member.valid();
    }

    /** The partitions this member holds (granted and not yet released); empty once the lease lapsed. */
    public Set<Integer> owned() {
        return leaseValid() ? run.holdings.heldView() : Set.of();
    }

    /**
     * Call when a message of a partition has been consumed (cheap; call it for every message or only
     * the first). The first call after a grant of a partition that moved closes its recovery clock:
     * the per-partition recovery timer is recorded and the leader is told, so that it can record the
     * member-level recovery once every partition of a departed member has been consumed.
     */
    public void firstMessageConsumed(int partition) {
        ManagerRun r = run;
        if (r != null) {
            r.holdings.firstMessageConsumed(partition);
        }
    }

    /** Partition weights for the strategy (length = partitions); only the leader uses them; a change rebalances (planned). */
    public void updateWeights(double[] newWeights) {
        if (newWeights.length != settings.partitions()) {
            throw new IllegalArgumentException("expected " + settings.partitions() + " weights, got " + newWeights.length);
        }
        WeightedConsistentHashStrategy.heaviestFirst(newWeights); // validates
        double[] copy = newWeights.clone();
        ManagerRun r = run;
        if (r == null || r.loop.closed()) {
            weights = copy;
            return;
        }
        r.loop.post(() -> {
            if (!Arrays.equals(copy, weights)) {
                weights = copy;
                r.rebalancer.weightsChanged();
            }
        });
    }

    /** This member's id while it is a member. */
    public Optional<String> memberId() {
        Lease l = lease();
        return l == null ? Optional.empty() : Optional.of(l.holder);
    }

    /** This member's incarnation (the members-key creation revision), 0 when not a member. */
    public long incarnation() {
        Lease l = lease();
        return l == null ? 0 : l.inc;
    }

    public boolean isLeader() {
        ManagerRun r = run;
        return r != null && r.election.isLeader();
    }

    /** The member id of the leader last seen (possibly stale). */
    public Optional<String> leaderId() {
        ManagerRun r = run;
        return r == null ? Optional.empty() : Optional.ofNullable(r.election.leaderMember());
    }

    /** The assignment version this member has applied (0: none yet). */
    public long appliedVersion() {
        return metrics.version();
    }

    public ManagerSettings settings() {
        return settings;
    }

    /**
     * Stops without leaving: no revoke, no release, no deletion of the membership key, as if the
     * process had died. The others take the partitions over after the heartbeat TTL + grace (eviction). For
     * chaos (disconnect/abort) and tests; a normal shutdown is {@link #stop()}.
     */
    public void halt() {
        leaveOnStop = false;
        stop();
    }

    /** Test seam: the current run's parts. */
    ManagerRun run() {
        return run;
    }

    private Lease lease() {
        ManagerRun r = run;
        return r == null ? null : r.member.current();
    }

    // ------------------------------------------------------------------------------------------
    // Lifecycle

    @Override
    protected void doStart() throws Exception {
        leaveOnStop = true;
        metrics.version(0);
        Retry.within(Provisioner.START_PATIENCE, "creating the partition manager's buckets", () -> {
            Buckets.ensure(connection, names, replicas);
            return null;
        });
        ManagerRun r = new ManagerRun(connection, names, GroupBuckets.open(connection, names, settings), settings, strategy,
                listener, clock, nanoClock, metrics, instance, () -> weights);
        run = r;
        r.start();
    }

    @Override
    protected void doStop() {
        boolean leave = leaveOnStop;
        leaveOnStop = true;
        ManagerRun r = run;
        if (r != null) {
            r.stop(leave);
        }
    }
}

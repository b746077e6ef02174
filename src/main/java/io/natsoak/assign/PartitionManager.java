package io.natsoak.assign;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.natsoak.config.ManagerSettings;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.nats.Dispatchers;
import io.natsoak.nats.KvWatch;
import io.natsoak.nats.LeaderReads;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;

/**
 * Shares partitions between the members of a worker group through NATS KV only.
 * <p>
 * <b>Membership.</b> A member claims the lowest free id {@code worker-<n>} with a KV create in the
 * members bucket; the key's creation revision is the member's <i>incarnation</i>. Every
 * heartbeat interval it renews the key with a revision-checked update. Its lease: it owns
 * partitions only while its last acknowledged renewal was sent less than {@code T - M} ago, and a
 * renewal acknowledged after that does not revive it (the member fences itself, tells the
 * listener, deletes its key and joins again as a new incarnation).
 * <p>
 * <b>Leader.</b> A member creates the leader key and renews it with revision-checked
 * updates; no bucket has a TTL ({@link Buckets} says why), so a follower deletes a leader key
 * unchanged for T (revision-checked) and creates its own. The leader evicts members whose heartbeat it has not seen change for
 * {@code T + G} (a revision-checked delete: it succeeds only if no renewal came in between, and
 * then the member's lease has certainly lapsed), and publishes versioned assignment records
 * with revision-checked updates, so records form a single chain even if two members briefly
 * both believe they lead.
 * <p>
 * <b>Handoff.</b> A member that loses a partition is told {@link Listener#revoke}; once the
 * listener calls {@link #released}, the member records in its release record that it no longer
 * holds the partition. The new owner is told {@link Listener#grant} only when every incarnation
 * that may still hold the partition has confirmed that, or is gone ({@link Handoff}).
 * <p>
 * Threads: {@code assign-loop-n} runs every state change and listener callback (one at a time);
 * {@code assign-heartbeat-n} renews the leases. KV watch callbacks only enqueue work for the loop.
 * docs/partition-manager.md has the protocol, the keys and the time bounds.
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

    private static final Logger LOG = Logger.getLogger(PartitionManager.class);
    static final String COMPONENT = "assign";
    private static final int WRONG_LAST_SEQUENCE = 10071;
    private static final int MAX_MEMBER_NUMBER = 100_000;
    private static final long TICK_MS = 100;
    /** Watches are the fast path; this poll is the safety net if one stalls. */
    private static final long POLL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final Connection connection;
    private final AssignNames names;
    private final int replicas;
    private final ManagerSettings settings;
    private final AssignmentStrategy strategy;
    private final Listener listener;
    private final Clock clock;
    private final String instance;
    private final long leaseNanos;
    private final long evictAfterNanos;

    // Metrics (registered once; a registry holds one manager's gauges).
    private final AtomicInteger heldGauge = new AtomicInteger();
    private final AtomicInteger pendingGauge = new AtomicInteger();
    private final AtomicInteger leaderGauge = new AtomicInteger();
    private final AtomicLong versionGauge = new AtomicLong();
    private final Map<String, Counter> rebalances = new HashMap<>();
    private final Map<String, Timer> recovery = new HashMap<>();
    private final Map<String, Timer> partitionRecovery = new HashMap<>();
    private final Timer handoffTimer;
    private final Counter fencedCounter;
    private final Counter evictionCounter;
    private final Counter recoveryIncomplete;

    // Resources of one run (start to stop).
    private KeyValue membersKv;
    private KeyValue leaderKv;
    private KeyValue assignmentKv;
    private KeyValue releasesKv;
    private ScheduledExecutorService loop;
    private ScheduledExecutorService beat;
    private volatile Thread loopThread;
    private final List<KvWatch> watches = new ArrayList<>();
    /** All KV watches share it (see {@link KvWatch}); created with the first watch, closed by stop. */
    private Dispatcher watchDispatcher;
    private final List<Thread> madeThreads = new ArrayList<>();
    private volatile boolean closed = true;
    private volatile boolean leaveOnStop = true;

    // Leases (written by the heartbeat thread and the loop; read anywhere).
    private volatile Lease lease;
    private volatile LeaderLease leaderLease;
    /**
     * This member's last acknowledged renewal (heartbeat thread) and the last one its own watch
     * echoed (loop), by heartbeat sequence: revisions are numbered per replica.
     */
    private volatile long lastAckedBeat;
    private long echoedBeat;
    private long stallSinceNanos;
    private long stallTarget;
    private volatile long pausedUntilNanos;
    private volatile String leaderMember;
    /**
     * The leader claim the watch showed last (null once deleted) and when it first showed it; a
     * silent leader's key is deleted only if the stream leader still holds that same value.
     */
    private volatile byte[] leaderKeyValue;
    private volatile long leaderKeySeenNanos;
    private long leaderKeyNewest;

    // Shared snapshots for owns() and friends.
    private volatile Set<Integer> heldView = Set.of();
    private final AtomicReferenceArray<GrantInfo> grantInfo;
    private volatile double[] weights;

    // Loop-confined state: views of the buckets.
    private final Map<String, MemberState> memberView = new HashMap<>();
    private final Map<String, Wire.Release> releaseView = new HashMap<>();
    private final Map<String, Long> releaseRevisions = new HashMap<>();
    private Wire.Assignment current;
    private volatile Wire.Assignment currentView;
    private long currentRevision;
    private boolean membersLoaded;
    private boolean assignmentLoaded;

    // Loop-confined state: this member.
    private long applied;
    private final SortedSet<Integer> held = new TreeSet<>();
    private final Map<Integer, Long> revoking = new TreeMap<>();
    private final Map<Integer, Pending> pending = new TreeMap<>();
    private final Map<Integer, Wire.Consumed> consumed = new TreeMap<>();
    private long ownRecordRevision;
    private boolean recordDirty;
    private boolean leaving;
    private CompletableFuture<Boolean> leaveWaiter;
    private long lastPendingWarning;
    private long lastPollNanos;

    // Loop-confined state: leader duties.
    private LeaderLease activeLeader;
    private long leaderSinceNanos;
    private long lastRebalanceNanos;
    private long changeSinceNanos = -1;
    private boolean emergencyPending;
    private boolean weightsDirty;
    private final Map<Wire.MemberRef, Planner.Departed> departed = new HashMap<>();
    private final Map<Wire.MemberRef, String> goneToWrite = new HashMap<>();
    private final Map<String, Map<Integer, Long>> departureProgress = new HashMap<>();
    private final Set<String> departuresDone = new HashSet<>();

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
                            AssignmentStrategy strategy, Listener listener, Clock clock, MeterRegistry registry) {
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
        String connectionName = connection.getOptions().getConnectionName();
        this.instance = connectionName == null ? "" : connectionName;
        this.leaseNanos = settings.lease().toNanos();
        this.evictAfterNanos = settings.evictAfter().toNanos();
        this.grantInfo = new AtomicReferenceArray<>(settings.partitions());
        double[] uniform = new double[settings.partitions()];
        Arrays.fill(uniform, 1.0);
        this.weights = uniform;

        registry.gauge(AssignMetricNames.PARTITIONS, Tags.empty(), heldGauge);
        registry.gauge(AssignMetricNames.PENDING, Tags.empty(), pendingGauge);
        registry.gauge(AssignMetricNames.LEADER, Tags.empty(), leaderGauge);
        registry.gauge(AssignMetricNames.VERSION, Tags.empty(), versionGauge);
        for (String kind : List.of(AssignMetricNames.KIND_EMERGENCY, AssignMetricNames.KIND_PLANNED, AssignMetricNames.KIND_COLD_START)) {
            rebalances.put(kind, Counter.builder(AssignMetricNames.REBALANCES).tag(AssignMetricNames.TAG_KIND, kind)
                    .description("assignments published as leader").register(registry));
        }
        for (String kind : List.of(AssignMetricNames.KIND_EMERGENCY, AssignMetricNames.KIND_PLANNED)) {
            recovery.put(kind, Timer.builder(AssignMetricNames.RECOVERY).tag(AssignMetricNames.TAG_KIND, kind)
                    .description("departed member's last heartbeat (or departure) to a message consumed on every partition it owned")
                    // A bucket boundary at the 8 s recovery objective, so the alert's quantile is exact there.
                    .publishPercentileHistogram().serviceLevelObjectives(java.time.Duration.ofSeconds(8)).register(registry));
            partitionRecovery.put(kind, Timer.builder(AssignMetricNames.PARTITION_RECOVERY).tag(AssignMetricNames.TAG_KIND, kind)
                    .description("previous owner's last heartbeat (or departure, or rebalance) to the first message consumed by the new owner")
                    .publishPercentileHistogram().register(registry));
        }
        handoffTimer = Timer.builder(AssignMetricNames.HANDOFF).description("assigned to granted (waiting for the previous owner's release)")
                .publishPercentileHistogram().register(registry);
        fencedCounter = Counter.builder(AssignMetricNames.FENCED).description("lease lapses").register(registry);
        evictionCounter = Counter.builder(AssignMetricNames.EVICTIONS).description("members evicted as leader").register(registry);
        recoveryIncomplete = Counter.builder(AssignMetricNames.RECOVERY_INCOMPLETE)
                .description("departures whose partitions were not all consumed within the horizon").register(registry);
    }

    // ------------------------------------------------------------------------------------------
    // Public API

    /** Call once the listener has finished the partitions it was told to {@link Listener#revoke revoke}. Any thread. */
    public void released(long version, Set<Integer> partitions) {
        Set<Integer> copy = Set.copyOf(partitions);
        post(() -> onReleased(version, copy));
    }

    /**
     * True while this member holds the partition and its lease is valid. Check it before each pull
     * and before each commit: it turns false by itself the moment the lease lapses, even when the
     * whole process was frozen and no thread has run since.
     */
    public boolean owns(int partition) {
        return leaseValid() && heldView.contains(partition);
    }

    /** True while this member's lease is valid (the fencing check without a partition). */
    public boolean leaseValid() {
        Lease l = lease;
        return l != null && l.valid(System.nanoTime());
    }

    /** The partitions this member holds (granted and not yet released); empty once the lease lapsed. */
    public Set<Integer> owned() {
        return leaseValid() ? heldView : Set.of();
    }

    /**
     * Call when a message of a partition has been consumed (cheap; call it for every message or only
     * the first). The first call after a grant of a partition that moved closes its recovery clock:
     * the per-partition recovery timer is recorded and the leader is told, so that it can record the
     * member-level recovery once every partition of a departed member has been consumed.
     */
    public void firstMessageConsumed(int partition) {
        if (partition < 0 || partition >= grantInfo.length()) {
            return;
        }
        GrantInfo g = grantInfo.get(partition);
        if (g == null || g.move == null || !g.recorded.compareAndSet(false, true)) {
            return;
        }
        long at = clock.millis();
        long took = at - g.move.since();
        if (took >= 0 && took <= Planner.HORIZON_MS) {
            partitionRecovery.get(kindOf(g.move.kind())).record(took, TimeUnit.MILLISECONDS);
        }
        post(() -> {
            if (grantInfo.get(partition) == g) {
                consumed.put(partition, new Wire.Consumed(partition, g.version, at));
                recordDirty = true;
            }
        });
    }

    /** Partition weights for the strategy (length = partitions); only the leader uses them; a change rebalances (planned). */
    public void updateWeights(double[] newWeights) {
        if (newWeights.length != settings.partitions()) {
            throw new IllegalArgumentException("expected " + settings.partitions() + " weights, got " + newWeights.length);
        }
        WeightedConsistentHashStrategy.heaviestFirst(newWeights); // validates
        double[] copy = newWeights.clone();
        post(() -> {
            if (!Arrays.equals(copy, weights)) {
                weights = copy;
                weightsDirty = true;
                leaderEvaluate();
            }
        });
        if (closed) {
            weights = copy;
        }
    }

    /** This member's id while it is a member. */
    public Optional<String> memberId() {
        Lease l = lease;
        return l == null ? Optional.empty() : Optional.of(l.id);
    }

    /** This member's incarnation (the members-key creation revision), 0 when not a member. */
    public long incarnation() {
        Lease l = lease;
        return l == null ? 0 : l.inc;
    }

    public boolean isLeader() {
        LeaderLease ll = leaderLease;
        return ll != null && ll.valid(System.nanoTime());
    }

    /** The member id of the leader last seen (possibly stale). */
    public Optional<String> leaderId() {
        return Optional.ofNullable(leaderMember);
    }

    /** The assignment version this member has applied (0: none yet). */
    public long appliedVersion() {
        return versionGauge.get();
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

    // Test hooks ---------------------------------------------------------------------------------

    /** Test view: the member ids of the newest assignment record this member has seen. */
    List<String> assignedMembers() {
        Wire.Assignment a = currentView;
        return a == null ? List.of() : a.members().stream().map(Wire.MemberRef::id).toList();
    }

    /** Test view: the partitions the newest record assigns to this member's incarnation. */
    Set<Integer> assignedPartitions() {
        Wire.Assignment a = currentView;
        Lease l = lease;
        return a == null || l == null ? Set.of() : Set.copyOf(a.partitionsOf(l.id, l.inc));
    }

    /** Test view: the newest assignment version this member has seen (applied or not). */
    long latestVersion() {
        Wire.Assignment a = currentView;
        return a == null ? 0 : a.version();
    }

    /** Test hook: renewals are skipped for {@code d} (as if they failed); the loop keeps running. */
    void pauseHeartbeats(Duration d) {
        pausedUntilNanos = System.nanoTime() + d.toNanos();
    }

    /**
     * Test hook: simulates a frozen process (a long GC pause, SIGSTOP) for {@code d}: no renewal,
     * and the loop thread is blocked, so no callback can tell the listener anything until it wakes.
     * Only {@link #owns} (time-based) keeps telling the truth meanwhile.
     */
    void freeze(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        pausedUntilNanos = until;
        ScheduledExecutorService l = loop;
        if (l != null) {
            try {
                l.execute(() -> {
                    for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
                        LockSupport.parkNanos(left);
                    }
                });
            } catch (RejectedExecutionException ignored) {
                // stopped
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Lifecycle

    @Override
    protected void doStart() throws Exception {
        resetState();
        closed = false;
        leaveOnStop = true;
        Retry.within(Provisioner.START_PATIENCE, "creating the partition manager's buckets", () -> {
            Buckets.ensure(connection, names, replicas);
            return null;
        });
        KeyValueOptions options = KeyValueOptions.builder().jsRequestTimeout(settings.requestTimeout()).build();
        membersKv = connection.keyValue(names.membersBucket(), options);
        leaderKv = connection.keyValue(names.leaderBucket(), options);
        assignmentKv = connection.keyValue(names.assignmentBucket(), options);
        releasesKv = connection.keyValue(names.releasesBucket(), options);

        loop = Executors.newSingleThreadScheduledExecutor(threads(new NamedThreads(COMPONENT, "loop")));
        beat = Executors.newSingleThreadScheduledExecutor(threads(new NamedThreads(COMPONENT, "heartbeat")));
        loop.execute(() -> loopThread = Thread.currentThread());

        openWatches();

        Lease joined = Retry.within(Provisioner.START_PATIENCE, "joining the group", this::join);
        CompletableFuture<Void> installed = new CompletableFuture<>();
        post(() -> {
            install(joined);
            installed.complete(null);
        });
        installed.get(settings.requestTimeout().multipliedBy(4).toMillis() + STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);

        long interval = settings.heartbeatInterval().toMillis();
        beat.scheduleWithFixedDelay(this::beatTick, interval, interval, TimeUnit.MILLISECONDS);
        loop.scheduleWithFixedDelay(() -> run(this::tick), TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        LOG.infof("partition manager %s joined as %s (incarnation %d) in run %s", instance, joined.id, joined.inc, names.runId());
    }

    @Override
    protected void doStop() {
        boolean leave = leaveOnStop;
        leaveOnStop = true;
        boolean onLoop = Thread.currentThread() == loopThread;
        if (onLoop) {
            // Waiting for the loop from the loop would deadlock: leave as a crash would.
            LOG.errorf("%s: stop() called from a listener callback; stopping without a clean leave", memberId().orElse(instance));
            leave = false;
        }
        boolean clean = false;
        if (leave && loop != null && lease != null) {
            CompletableFuture<Boolean> releasedAll = new CompletableFuture<>();
            post(() -> beginLeave(releasedAll));
            clean = await(releasedAll, settings.releaseTimeout().plus(settings.requestTimeout()), false);
            if (!clean) {
                LOG.warnf("%s: the listener did not release everything within %s; leaving without a clean handoff (the others wait for the eviction, TTL + grace)",
                        memberId().orElse(instance), settings.releaseTimeout());
            }
        }
        shutdown(beat);
        if (leave && loop != null && lease != null) {
            CompletableFuture<Boolean> left = new CompletableFuture<>();
            boolean releasedClean = clean;
            post(() -> finishLeave(releasedClean, left));
            await(left, settings.requestTimeout().multipliedBy(4), false);
        }
        closed = true;
        closeWatches();
        synchronized (watches) {
            Dispatchers.close(connection, watchDispatcher);
            watchDispatcher = null;
        }
        if (onLoop) {
            loop.shutdownNow();
        } else {
            shutdown(loop);
        }
        joinThreads();
        beat = null;
        loop = null;
        loopThread = null;
        lease = null;
        leaderLease = null;
        heldView = Set.of();
        heldGauge.set(0);
        pendingGauge.set(0);
        leaderGauge.set(0);
        for (int p = 0; p < grantInfo.length(); p++) {
            grantInfo.set(p, null);
        }
    }

    private void resetState() {
        lease = null;
        leaderLease = null;
        leaderMember = null;
        leaderKeyValue = null;
        leaderKeyNewest = 0;
        pausedUntilNanos = System.nanoTime();
        lastAckedBeat = 0;
        echoedBeat = 0;
        stallSinceNanos = 0;
        heldView = Set.of();
        memberView.clear();
        releaseView.clear();
        releaseRevisions.clear();
        current = null;
        currentView = null;
        currentRevision = 0;
        membersLoaded = false;
        assignmentLoaded = false;
        applied = 0;
        versionGauge.set(0);
        held.clear();
        revoking.clear();
        pending.clear();
        consumed.clear();
        ownRecordRevision = 0;
        recordDirty = false;
        leaving = false;
        leaveWaiter = null;
        changeSinceNanos = -1;
        emergencyPending = false;
        weightsDirty = false;
        departed.clear();
        activeLeader = null;
        goneToWrite.clear();
        departureProgress.clear();
        departuresDone.clear();
    }

    /** Remembers the threads a factory made, so stop can wait until they have really exited. */
    private ThreadFactory threads(NamedThreads named) {
        return r -> {
            Thread t = named.newThread(r);
            synchronized (madeThreads) {
                madeThreads.removeIf(old -> !old.isAlive());
                madeThreads.add(t);
            }
            return t;
        };
    }

    /** shutdownNow, wait for termination, then for the threads themselves (awaitTermination returns a moment before they exit). */
    private void shutdown(ScheduledExecutorService executor) {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("an %s thread did not stop within %s", COMPONENT, STOP_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void joinThreads() {
        List<Thread> threads;
        synchronized (madeThreads) {
            threads = new ArrayList<>(madeThreads);
            madeThreads.clear();
        }
        long deadline = System.nanoTime() + STOP_WAIT.toNanos();
        for (Thread t : threads) {
            if (t == Thread.currentThread()) {
                continue;
            }
            long left = deadline - System.nanoTime();
            try {
                t.join(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                LOG.warnf("thread %s did not exit within %s", t.getName(), STOP_WAIT);
            }
        }
    }

    private static <T> T await(CompletableFuture<T> future, Duration patience, T otherwise) {
        try {
            return future.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return otherwise;
        } catch (ExecutionException | TimeoutException e) {
            return otherwise;
        }
    }

    private void openWatches() throws IOException, JetStreamApiException, InterruptedException {
        synchronized (watches) {
            if (closed) {
                return; // stop() got here first: open nothing it would not close
            }
            openWatchesLocked();
        }
    }

    private void openWatchesLocked() throws IOException, JetStreamApiException, InterruptedException {
        if (watchDispatcher == null) {
            watchDispatcher = connection.createDispatcher();
        }
        watches.add(KvWatch.all(connection, watchDispatcher, names.membersBucket(), new Forward(this::onMemberEntry, () -> membersLoaded = true)));
        watches.add(KvWatch.all(connection, watchDispatcher, names.releasesBucket(), new Forward(this::onReleaseEntry, () -> { })));
        watches.add(KvWatch.key(connection, watchDispatcher, names.assignmentBucket(), AssignNames.ASSIGNMENT_KEY,
                new Forward(this::onAssignmentEntry, () -> {
                    assignmentLoaded = true;
                    leaderEvaluate();
                })));
        watches.add(KvWatch.key(connection, watchDispatcher, names.leaderBucket(), AssignNames.LEADER_KEY,
                new Forward(this::onLeaderEntry, () -> { })));
    }

    private void closeWatches() {
        synchronized (watches) {
            for (KvWatch w : watches) {
                w.close();
            }
            watches.clear();
        }
    }

    /**
     * A KV watch is an ordered push consumer hosted on one server; when that server dies, jnats
     * notices only after several missed idle heartbeats (15-20 s here) and the views go stale
     * meanwhile. This member's own renewals must come back through its members watch: if an
     * acknowledged renewal has not come back within max(1 s, 3 heartbeat intervals), every
     * watch is recreated (views only move forward, so replayed entries are harmless).
     */
    private void watchdog(long now) {
        long acked = lastAckedBeat;
        if (lease == null || acked <= echoedBeat) {
            stallSinceNanos = 0;
            return;
        }
        if (stallSinceNanos == 0 || echoedBeat >= stallTarget) {
            stallSinceNanos = now;
            stallTarget = acked;
            return;
        }
        long limit = Math.max(TimeUnit.SECONDS.toNanos(1), 3 * settings.heartbeatInterval().toNanos());
        if (now - stallSinceNanos < limit) {
            return;
        }
        LOG.infof("%s: KV watches stalled (renewal %d not seen for %d ms); recreating them",
                memberId().orElse(instance), stallTarget, (now - stallSinceNanos) / 1_000_000);
        closeWatches();
        try {
            openWatches();
            stallSinceNanos = 0;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            closeWatches();
            stallSinceNanos = now; // try again after another limit
            LOG.debugf("recreating KV watches failed: %s", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a task on the loop; after stop, silently drops it. */
    private void post(Runnable task) {
        ScheduledExecutorService l = loop;
        if (l == null || closed) {
            return;
        }
        try {
            l.execute(() -> run(task));
        } catch (RejectedExecutionException ignored) {
            // stopping
        }
    }

    /** Every loop task: first the lease check, then the task, then the release record if it changed. */
    private void run(Runnable task) {
        if (closed) {
            return;
        }
        try {
            checkLeases();
            task.run();
            flushRecord();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s: partition manager task failed", memberId().orElse(instance));
        }
    }

    private void tick() {
        long nowNanos = System.nanoTime();
        watchdog(nowNanos);
        if (nowNanos - lastPollNanos >= POLL_NANOS && lease != null) {
            lastPollNanos = nowNanos;
            reloadAssignment();
            pollAwaitedReleases();
        }
        if (!pending.isEmpty() && current != null) {
            tryGrant();
            long now = System.nanoTime();
            long oldest = pending.values().stream().mapToLong(p -> p.sinceNanos).min().orElse(now);
            if (now - oldest > 2 * evictAfterNanos && now - lastPendingWarning > evictAfterNanos) {
                lastPendingWarning = now;
                LOG.warnf("%s: %d partitions have waited %d ms for their previous owners' release (version %d): %s",
                        memberId().orElse(instance), pending.size(), (now - oldest) / 1_000_000, applied,
                        waitingOn(current));
            }
        }
        for (Map.Entry<Wire.MemberRef, String> g : new ArrayList<>(goneToWrite.entrySet())) {
            if (writeGone(g.getKey(), g.getValue())) {
                goneToWrite.remove(g.getKey());
            }
        }
        leaderEvaluate();
    }

    // ------------------------------------------------------------------------------------------
    // Membership and leases

    private static final class Lease {
        final String id;
        final long inc;
        final String nonce;
        volatile long rev;
        volatile long deadline;
        volatile boolean lapsed;
        long seq;

        Lease(String id, long inc, String nonce, long rev, long deadline) {
            this.id = id;
            this.inc = inc;
            this.nonce = nonce;
            this.rev = rev;
            this.deadline = deadline;
        }

        boolean valid(long now) {
            return !lapsed && now - deadline < 0;
        }
    }

    private static final class LeaderLease {
        final String member;
        final String nonce;
        volatile long rev;
        volatile long deadline;
        volatile boolean lapsed;

        LeaderLease(String member, String nonce, long rev, long deadline) {
            this.member = member;
            this.nonce = nonce;
            this.rev = rev;
            this.deadline = deadline;
        }

        boolean valid(long now) {
            return !lapsed && now - deadline < 0;
        }
    }

    /** Claims the lowest free {@code worker-<n>} with a KV create (fails if the key exists). */
    private Lease join() throws Exception {
        String nonce = UUID.randomUUID().toString();
        for (int n = 0; n < MAX_MEMBER_NUMBER; n++) {
            String id = MemberIds.of(n);
            byte[] value = encode(new Wire.Heartbeat(id, 0, nonce, 0, clock.millis(), instance));
            long send = System.nanoTime();
            try {
                Optional<Claim> claim = claimIfFree(membersKv, names.membersBucket(), id, value);
                if (claim.isEmpty()) {
                    continue;
                }
                long rev = claim.get().revision();
                Lease l = new Lease(id, rev, nonce, rev, claim.get().sentNanos() + leaseNanos);
                stampIncarnation(l);
                writeFirstRecord(l);
                return l;
            } catch (IOException e) {
                // The write may have been stored although its reply was lost: adopt it if it is ours.
                KeyValueEntry entry = LeaderReads.kvEntry(connection, names.membersBucket(), id).orElse(null);
                Wire.Heartbeat stored = entry == null || entry.getOperation() != KeyValueOperation.PUT ? null : heartbeat(entry);
                if (stored != null && nonce.equals(stored.nonce())) {
                    // Either the joining write (no incarnation yet: it is this revision) or its stamp.
                    long inc = stored.inc() > 0 ? stored.inc() : entry.getRevision();
                    Lease l = new Lease(id, inc, nonce, entry.getRevision(), send + leaseNanos);
                    l.seq = stored.seq();
                    if (stored.inc() == 0) {
                        stampIncarnation(l);
                    }
                    writeFirstRecord(l);
                    return l;
                }
                throw e;
            }
        }
        throw new IllegalStateException("no free member id below " + MAX_MEMBER_NUMBER);
    }

    /**
     * Writes {@code value} to {@code key} only if the key is free (never written, or deleted) and
     * returns the new revision, or -1 when it is taken. Why not {@code KeyValue.create}: its first
     * attempt expects "no entry", a condition nats-server 2.9 does not check on the leader before
     * replicating (nats-server#5644). On a taken or deleted key that write is replicated, fails on
     * every replica and moves the stream's count of failed writes, and that count is what drifts
     * between replicas around a node restart (nats-server#4365), after which they number entries
     * differently. Reading the key from the stream leader first and expecting the deletion
     * marker's revision lets the leader refuse a lost race before replicating anything. The
     * send time is taken after the read, so a slow read (a stream electing its leader) does not
     * eat into the lease that starts with the write.
     */
    private Optional<Claim> claimIfFree(KeyValue kv, String bucket, String key, byte[] value)
            throws IOException, JetStreamApiException, InterruptedException {
        Optional<KeyValueEntry> last = LeaderReads.kvEntry(connection, bucket, key);
        if (last.isPresent() && last.get().getOperation() == KeyValueOperation.PUT) {
            return Optional.empty();
        }
        long send = System.nanoTime();
        try {
            return Optional.of(new Claim(kv.update(key, value, last.map(KeyValueEntry::getRevision).orElse(0L)), send));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** A key claimed by {@link #claimIfFree}: its revision, and when the write was sent (the lease counts from then). */
    private record Claim(long revision, long sentNanos) {
    }

    /**
     * The joining write cannot carry its incarnation (its revision, known only from the reply), so
     * the new member writes it at once, before its first release record: from then on every view
     * learns the incarnation from the value (see {@link #applyMemberEntry}), and an incarnation that
     * any record names is already stamped on its key.
     */
    private void stampIncarnation(Lease l) throws IOException, JetStreamApiException {
        byte[] value = encode(new Wire.Heartbeat(l.id, l.inc, l.nonce, ++l.seq, clock.millis(), instance));
        long send = System.nanoTime();
        l.rev = membersKv.update(l.id, value, l.rev);
        // The stamp is the first renewal. The lease counts from its sending even if the join's
        // reply came late (a stream election): the write expected the join's revision, so the key
        // was not evicted in between, and a new incarnation holds nothing it could have lost.
        l.deadline = send + leaseNanos;
    }

    /** The new incarnation's first release record: it holds nothing as of version 0. */
    private void writeFirstRecord(Lease l) throws IOException, JetStreamApiException, InterruptedException {
        byte[] value = encode(new Wire.Release(l.inc, 0, new int[0], false, null, clock.millis(), List.of()));
        for (int attempt = 0; ; attempt++) {
            // from the leader: a stale "no record" would replicate a write doomed to fail (claimIfFree says why)
            KeyValueEntry existing = LeaderReads.kvEntry(connection, names.releasesBucket(), l.id).orElse(null);
            try {
                ownRecordRevision = releasesKv.update(l.id, value, existing == null ? 0 : existing.getRevision());
                return;
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != WRONG_LAST_SEQUENCE || attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    /** On the loop: the member is in; apply whatever assignment is already known. */
    private void install(Lease l) {
        // Heartbeat sequences start again with each incarnation: the watch check starts over.
        lastAckedBeat = 0;
        echoedBeat = 0;
        stallSinceNanos = 0;
        lease = l;
        applied = 0;
        recordDirty = false;
        applyLatest();
    }

    private void beatTick() {
        try {
            if (System.nanoTime() - pausedUntilNanos < 0) {
                return;
            }
            Lease l = lease;
            if (l != null && !l.lapsed) {
                renew(l);
            }
            LeaderLease ll = leaderLease;
            if (ll != null && !ll.lapsed) {
                renewLeader(ll);
            } else {
                l = lease;
                if (l != null && l.valid(System.nanoTime())) {
                    tryElect(l);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warnf("%s: heartbeat failed: %s", memberId().orElse(instance), e.toString());
        }
    }

    private void renew(Lease l) throws InterruptedException {
        byte[] value = encode(new Wire.Heartbeat(l.id, l.inc, l.nonce, ++l.seq, clock.millis(), instance));
        long send = System.nanoTime();
        try {
            long rev = membersKv.update(l.id, value, l.rev);
            long ack = System.nanoTime();
            if (l.lapsed || ack - l.deadline >= 0) {
                lapse(l, "a renewal was acknowledged only after the lease had expired");
                return;
            }
            l.rev = rev;
            l.deadline = send + leaseNanos;
            lastAckedBeat = l.seq;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
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
            KeyValueEntry entry = LeaderReads.kvEntry(connection, names.membersBucket(), l.id).orElse(null);
            if (entry != null && entry.getOperation() == KeyValueOperation.PUT && l.nonce.equals(heartbeat(entry).nonce())) {
                l.rev = entry.getRevision(); // the deadline is not extended by a renewal whose send time is unknown
                return;
            }
            lapse(l, "the membership key was deleted or taken over (evicted)");
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            lapseIfExpired(l, e);
        }
    }

    private void lapseIfExpired(Lease l, Exception cause) {
        if (System.nanoTime() - l.deadline >= 0) {
            lapse(l, "renewals failed until the lease expired (" + cause + ")");
        } else {
            LOG.debugf("%s: renewal failed: %s", l.id, cause.toString());
        }
    }

    private void lapse(Lease l, String why) {
        l.lapsed = true;
        post(() -> onLapse(l, why));
    }

    private void checkLeases() {
        long now = System.nanoTime();
        Lease l = lease;
        if (l != null && !l.valid(now)) {
            onLapse(l, l.lapsed ? "lease lapsed" : "no renewal acknowledged within the lease");
        }
        LeaderLease ll = leaderLease;
        if (ll != null && !ll.valid(now)) {
            onLostLeadership(ll, "leader lease lapsed");
        }
    }

    /**
     * The lease lapsed: everything this member held may already be someone else's. Tell the
     * listener, clean up what can be cleaned (revision-checked, so nothing of a successor is
     * touched) and join again as a new incarnation.
     */
    private void onLapse(Lease l, String why) {
        if (l != lease) {
            return;
        }
        l.lapsed = true;
        lease = null;
        fencedCounter.increment();
        Set<Integer> lost = new TreeSet<>(held);
        LOG.warnf("%s (incarnation %d) fenced itself: %s; it held %d partitions", l.id, l.inc, why, lost.size());
        held.clear();
        revoking.clear();
        pending.clear();
        consumed.clear();
        recordDirty = false;
        applied = 0;
        publishHeld();
        for (int p = 0; p < grantInfo.length(); p++) {
            grantInfo.set(p, null);
        }
        LeaderLease ll = leaderLease;
        if (ll != null) {
            onLostLeadership(ll, "membership lease lapsed");
            try {
                leaderKv.delete(AssignNames.LEADER_KEY, ll.rev);
            } catch (IOException | JetStreamApiException | RuntimeException ignored) {
                // a follower deletes it once it has not changed for T
            }
        }
        if (!lost.isEmpty()) {
            safely("fenced", () -> listener.fenced(Collections.unmodifiableSet(lost)));
        }
        try {
            membersKv.delete(l.id, l.rev);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("%s: deleting the lapsed membership key: %s", l.id, e.toString());
        }
        goneToWrite.put(new Wire.MemberRef(l.id, l.inc), "lapsed");
        writeGone(new Wire.MemberRef(l.id, l.inc), "lapsed");
        checkLeaveDone();
        if (!closed && !leaving) {
            ScheduledExecutorService ex = loop;
            if (ex != null) {
                try {
                    ex.execute(this::rejoin);
                } catch (RejectedExecutionException ignored) {
                    // stopping
                }
            }
        }
    }

    private void rejoin() {
        if (closed || leaving || lease != null) {
            return;
        }
        try {
            Lease l = Retry.until("joining the group again", () -> closed || leaving, this::join,
                    (what, n, e) -> LOG.infof("%s failed (%s); retrying", what, e.toString()));
            install(l);
            LOG.infof("%s rejoined as %s (incarnation %d)", instance, l.id, l.inc);
        } catch (Retry.Abandoned e) {
            LOG.debugf("rejoin abandoned: %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Leader election

    private void tryElect(Lease l) throws InterruptedException {
        if (leaderKeyValue != null && System.nanoTime() - leaderKeySeenNanos < settings.heartbeatTtl().toNanos()) {
            return; // the watch shows a leader that renewed recently: no read needed on every beat
        }
        try {
            Optional<KeyValueEntry> entry = LeaderReads.kvEntry(connection, names.leaderBucket(), AssignNames.LEADER_KEY);
            if (entry.isPresent() && entry.get().getOperation() == KeyValueOperation.PUT) {
                leaderMember = claim(entry.get()).member();
                if (!evictSilentLeader(l, leaderMember, entry.get())) {
                    return;
                }
            }
            String nonce = UUID.randomUUID().toString();
            Optional<Claim> won = claimIfFree(leaderKv, names.leaderBucket(), AssignNames.LEADER_KEY,
                    encode(new Wire.LeaderClaim(l.id, nonce, clock.millis())));
            if (won.isEmpty()) {
                return;
            }
            LeaderLease ll = new LeaderLease(l.id, nonce, won.get().revision(), won.get().sentNanos() + leaseNanos);
            leaderLease = ll;
            leaderMember = l.id;
            post(() -> onBecameLeader(ll));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != WRONG_LAST_SEQUENCE) {
                LOG.debugf("%s: election attempt failed: %s", l.id, e.toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debugf("%s: election attempt failed: %s", l.id, e.toString());
        }
    }

    /**
     * The leader bucket has no TTL (see {@link Buckets}), so a crashed leader's key stays until a
     * follower deletes it. A follower does so once the key's revision has not changed for T since
     * it first saw that revision: the holder sent its last acknowledged renewal no later than
     * that, so its leader lease (T - M after sending) is over. The delete expects the stream
     * leader's revision of that same claim (compared by value, not by the watch's revision, which
     * a drifted replica numbers differently), so it fails if the leader renewed in the meantime.
     */
    private boolean evictSilentLeader(Lease l, String holder, KeyValueEntry onLeader) {
        byte[] seen = leaderKeyValue;
        long silentNanos = System.nanoTime() - leaderKeySeenNanos;
        if (seen == null || silentNanos < settings.heartbeatTtl().toNanos()) {
            return false;
        }
        // The same claim as the watch showed, compared by value: the watch's replica may number
        // entries differently from the stream leader, whose revision the delete must expect.
        if (!Arrays.equals(seen, onLeader.getValue())) {
            return false;
        }
        long rev = onLeader.getRevision();
        try {
            leaderKv.delete(AssignNames.LEADER_KEY, rev);
            LOG.infof("%s: the leader key (%s, revision %d) was not renewed for %d ms; deleted it to elect a new leader",
                    l.id, holder, rev, silentNanos / 1_000_000);
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != WRONG_LAST_SEQUENCE) {
                LOG.debugf("%s: deleting a silent leader key: %s", l.id, e.toString());
            }
            return false;
        } catch (IOException | RuntimeException e) {
            LOG.debugf("%s: deleting a silent leader key: %s", l.id, e.toString());
            return false;
        }
    }

    private void renewLeader(LeaderLease ll) {
        Lease l = lease;
        if (l == null || !l.valid(System.nanoTime())) {
            leaderLapse(ll, "the membership lease is not valid");
            return;
        }
        byte[] value = encode(new Wire.LeaderClaim(ll.member, ll.nonce, clock.millis()));
        long send = System.nanoTime();
        try {
            long rev = leaderKv.update(AssignNames.LEADER_KEY, value, ll.rev);
            if (ll.lapsed || System.nanoTime() - ll.deadline >= 0) {
                leaderLapse(ll, "a renewal was acknowledged only after the leader lease had expired");
                return;
            }
            ll.rev = rev;
            ll.deadline = send + leaseNanos;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                leaderLapse(ll, "the leader key was taken over or expired");
            } else if (System.nanoTime() - ll.deadline >= 0) {
                leaderLapse(ll, "renewals failed until the leader lease expired (" + e + ")");
            }
        } catch (IOException e) {
            if (System.nanoTime() - ll.deadline >= 0) {
                leaderLapse(ll, "renewals failed until the leader lease expired (" + e + ")");
            }
        }
    }

    private void leaderLapse(LeaderLease ll, String why) {
        ll.lapsed = true;
        post(() -> onLostLeadership(ll, why));
    }

    private void onBecameLeader(LeaderLease ll) {
        if (ll != leaderLease || !ll.valid(System.nanoTime())) {
            return;
        }
        leaderGauge.set(1);
        activeLeader = ll;
        long now = System.nanoTime();
        leaderSinceNanos = now;
        lastRebalanceNanos = now - settings.minRebalanceInterval().toNanos();
        changeSinceNanos = -1;
        emergencyPending = false;
        weightsDirty = false;
        departed.clear();
        departureProgress.clear();
        departuresDone.clear();
        LOG.infof("%s is the leader", ll.member);
        leaderEvaluate();
    }

    private void onLostLeadership(LeaderLease ll, String why) {
        ll.lapsed = true;
        if (activeLeader == ll) {
            activeLeader = null;
        }
        if (leaderLease == ll) {
            leaderLease = null;
            leaderGauge.set(0);
            LOG.infof("%s is no longer the leader: %s", ll.member, why);
        }
    }

    private boolean leading() {
        LeaderLease ll = leaderLease;
        return ll != null && ll == activeLeader && ll.valid(System.nanoTime()) && lease != null;
    }

    /** A leader key deletion (graceful step-down): try to take over at once instead of at the next poll. */
    private void onLeaderEntry(KeyValueEntry entry) {
        if (entry.getRevision() <= leaderKeyNewest) {
            return; // a replay after the watch was recreated
        }
        leaderKeyNewest = entry.getRevision();
        if (entry.getOperation() == KeyValueOperation.PUT) {
            leaderKeySeenNanos = System.nanoTime();
            leaderKeyValue = entry.getValue();
            try {
                leaderMember = claim(entry).member();
            } catch (MalformedMessageException e) {
                leaderMember = null;
            }
            return;
        }
        leaderKeyValue = null;
        leaderMember = null;
        ScheduledExecutorService b = beat;
        if (b != null) {
            try {
                b.execute(() -> {
                    Lease l = lease;
                    if (leaderLease == null && l != null && l.valid(System.nanoTime()) && System.nanoTime() - pausedUntilNanos >= 0) {
                        try {
                            tryElect(l);
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

    // ------------------------------------------------------------------------------------------
    // Views

    private static final class MemberState {
        final String id;
        /** Revision of the last entry applied from the watch: that replica's numbering, only for ordering its entries. */
        long rev;
        /** The incarnation its heartbeats carry; 0 until its first renewal (the joining write carries none). */
        long inc;
        /** The last heartbeat seen (the value), to recognise the same entry on the stream leader. */
        byte[] value;
        boolean present;
        long firstSeenNanos;
        long createdMs;
        long lastBeatMs;

        MemberState(String id) {
            this.id = id;
        }
    }

    /** An entry from the members watch: applied in that watch's order. */
    private void onMemberEntry(KeyValueEntry entry) {
        MemberState m = memberView.computeIfAbsent(entry.getKey(), MemberState::new);
        if (entry.getRevision() <= m.rev) {
            return;
        }
        m.rev = entry.getRevision();
        applyMemberEntry(m, entry);
        leaderEvaluate();
    }

    /**
     * Applies a member key's entry (from the watch or a stream-leader read) to the view; the
     * caller evaluates. The incarnation comes from the heartbeat value,
     * never from the entry's revision: a replica that drifted (nats-server 2.9, see
     * docs/partition-manager.md) numbers the same entry differently from the stream leader that
     * acknowledged it to the member, and a leader that took the watch's revision for the
     * incarnation saw a newer incarnation than the member's own, marked the member gone as
     * superseded, and every rejoin repeated it (the chaos soak saw dozens of rejoins a second).
     */
    private void applyMemberEntry(MemberState m, KeyValueEntry entry) {
        Lease self = lease;
        m.createdMs = entry.getCreated() == null ? clock.millis() : entry.getCreated().toInstant().toEpochMilli();
        if (entry.getOperation() == KeyValueOperation.PUT) {
            Wire.Heartbeat beat;
            try {
                beat = heartbeat(entry);
            } catch (MalformedMessageException e) {
                beat = null;
            }
            if (beat != null && self != null && self.id.equals(m.id) && self.nonce.equals(beat.nonce())) {
                echoedBeat = Math.max(echoedBeat, beat.seq());
            }
            m.present = true;
            m.lastBeatMs = m.createdMs;
            m.inc = beat == null ? 0 : beat.inc();
            m.value = entry.getValue();
            m.firstSeenNanos = System.nanoTime(); // observed now, so it was written no later than now
        } else {
            m.present = false;
            m.value = null;
        }
    }

    private void onReleaseEntry(KeyValueEntry entry) {
        String id = entry.getKey();
        Long known = releaseRevisions.get(id);
        if (known != null && entry.getRevision() <= known) {
            return;
        }
        releaseRevisions.put(id, entry.getRevision());
        if (entry.getOperation() != KeyValueOperation.PUT) {
            releaseView.remove(id);
            return;
        }
        Wire.Release r;
        try {
            r = Wire.Release.decode(entry.getValue());
        } catch (MalformedMessageException e) {
            LOG.warnf("ignoring a malformed release record for %s: %s", id, e.getMessage());
            return;
        }
        releaseView.put(id, r);
        Lease l = lease;
        if (l != null && l.id.equals(id)) {
            if (r.inc() > l.inc || (r.inc() == l.inc && r.gone() && !leaving)) {
                onLapse(l, "the release record says this incarnation is gone");
                return;
            }
        }
        tryGrant();
        leaderEvaluate();
    }

    private void onAssignmentEntry(KeyValueEntry entry) {
        if (entry.getOperation() != KeyValueOperation.PUT || entry.getRevision() <= currentRevision) {
            return;
        }
        Wire.Assignment a;
        try {
            a = Wire.Assignment.decode(entry.getValue());
        } catch (MalformedMessageException e) {
            LOG.errorf("ignoring a malformed assignment record (revision %d): %s", entry.getRevision(), e.getMessage());
            return;
        }
        if (current != null && a.version() <= current.version()) {
            return;
        }
        current = a;
        currentView = a;
        currentRevision = entry.getRevision();
        applyLatest();
        leaderEvaluate();
    }

    // ------------------------------------------------------------------------------------------
    // Member side: apply, grant, release

    private static final class Pending {
        final long sinceNanos;
        final Wire.Move move;

        Pending(long sinceNanos, Wire.Move move) {
            this.sinceNanos = sinceNanos;
            this.move = move;
        }
    }

    private static final class GrantInfo {
        final long version;
        final Wire.Move move;
        final AtomicBoolean recorded = new AtomicBoolean();

        GrantInfo(long version, Wire.Move move) {
            this.version = version;
            this.move = move;
        }
    }

    /** Applies the newest assignment if it is newer than what this member applied. */
    private void applyLatest() {
        Lease l = lease;
        Wire.Assignment a = current;
        if (l == null || a == null || leaving || a.version() <= applied) {
            return;
        }
        if (a.partitions() != settings.partitions()) {
            LOG.errorf("assignment version %d has %d partitions, this member is configured for %d: ignored",
                    a.version(), a.partitions(), settings.partitions());
            return;
        }
        applied = a.version();
        versionGauge.set(applied);
        Set<Integer> mine = new HashSet<>(a.partitionsOf(l.id, l.inc));
        SortedSet<Integer> toRevoke = new TreeSet<>();
        for (int p : held) {
            if (!mine.contains(p) && !revoking.containsKey(p)) {
                toRevoke.add(p);
                revoking.put(p, applied);
            }
        }
        pending.keySet().removeIf(p -> !mine.contains(p));
        long now = System.nanoTime();
        for (int p : new TreeSet<>(mine)) {
            if (!held.contains(p) && !pending.containsKey(p)) {
                pending.put(p, new Pending(now, a.moves().get(p)));
            }
        }
        pendingGauge.set(pending.size());
        recordDirty = true;
        if (!toRevoke.isEmpty()) {
            long version = applied;
            safely("revoke", () -> listener.revoke(version, Collections.unmodifiableSortedSet(toRevoke)));
        }
        tryGrant();
    }

    /** Grants every pending partition whose possible previous holders have all released it or are gone. */
    private void tryGrant() {
        Lease l = lease;
        Wire.Assignment a = current;
        if (l == null || a == null || pending.isEmpty() || leaving || a.version() != applied || !l.valid(System.nanoTime())) {
            return;
        }
        SortedSet<Integer> grant = new TreeSet<>();
        for (int p : pending.keySet()) {
            if (!held.contains(p) && released(a, p, l)) {
                grant.add(p);
            }
        }
        if (grant.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (int p : grant) {
            Pending pd = pending.remove(p);
            held.add(p);
            grantInfo.set(p, new GrantInfo(applied, pd.move != null ? pd.move : a.moves().get(p)));
            handoffTimer.record(now - pd.sinceNanos, TimeUnit.NANOSECONDS);
        }
        pendingGauge.set(pending.size());
        publishHeld();
        recordDirty = true;
        long version = applied;
        safely("grant", () -> listener.grant(version, Collections.unmodifiableSortedSet(grant)));
    }

    private boolean released(Wire.Assignment a, int p, Lease l) {
        for (Wire.WaitFor w : a.waitFor(p)) {
            if (w.id().equals(l.id) && w.inc() == l.inc) {
                continue; // ourselves: we do not hold it (checked by the caller)
            }
            if (!Handoff.confirmed(w, p, releaseView)) {
                return false;
            }
        }
        return true;
    }

    private void onReleased(long version, Set<Integer> partitions) {
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
            return;
        }
        publishHeld();
        recordDirty = true;
        Lease l = lease;
        Wire.Assignment a = current;
        if (l != null && a != null && a.version() == applied && !leaving) {
            long now = System.nanoTime();
            for (int p : a.partitionsOf(l.id, l.inc)) {
                if (partitions.contains(p) && !held.contains(p) && !pending.containsKey(p)) {
                    pending.put(p, new Pending(now, a.moves().get(p)));
                }
            }
            pendingGauge.set(pending.size());
        }
        tryGrant();
        checkLeaveDone();
    }

    private void publishHeld() {
        heldView = Set.copyOf(held);
        heldGauge.set(held.size());
    }

    /** Writes this member's release record (revision-checked, so it never goes backwards). */
    private void flushRecord() {
        if (!recordDirty) {
            return;
        }
        Lease l = lease;
        if (l == null || !l.valid(System.nanoTime())) {
            return;
        }
        Wire.Release r = new Wire.Release(l.inc, applied, held.stream().mapToInt(Integer::intValue).toArray(), false, null,
                clock.millis(), new ArrayList<>(consumed.values()));
        try {
            ownRecordRevision = releasesKv.update(l.id, encode(r), ownRecordRevision);
            releaseRevisions.merge(l.id, ownRecordRevision, Math::max);
            releaseView.put(l.id, r);
            recordDirty = false;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                reloadOwnRecord(l);
            } else {
                LOG.debugf("%s: writing the release record failed: %s", l.id, e.toString());
            }
            retryFlushLater();
        } catch (IOException e) {
            LOG.debugf("%s: writing the release record failed: %s", l.id, e.toString());
            retryFlushLater();
        }
    }

    private void reloadOwnRecord(Lease l) {
        try {
            KeyValueEntry entry = releasesKv.get(l.id);
            if (entry == null) {
                ownRecordRevision = 0;
                return;
            }
            Wire.Release r = Wire.Release.decode(entry.getValue());
            if (r.inc() > l.inc || (r.inc() == l.inc && r.gone())) {
                onLapse(l, "the release record says this incarnation is gone");
                return;
            }
            ownRecordRevision = entry.getRevision();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("%s: reading the release record failed: %s", l.id, e.toString());
        }
    }

    private void retryFlushLater() {
        ScheduledExecutorService ex = loop;
        if (ex != null && !closed) {
            try {
                ex.schedule(() -> run(() -> { }), settings.heartbeatInterval().toMillis() / 2 + 1, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException ignored) {
                // stopping
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Graceful leave

    private void beginLeave(CompletableFuture<Boolean> waiter) {
        leaving = true;
        leaveWaiter = waiter;
        pending.clear();
        pendingGauge.set(0);
        SortedSet<Integer> toRevoke = new TreeSet<>();
        for (int p : held) {
            if (!revoking.containsKey(p)) {
                toRevoke.add(p);
                revoking.put(p, applied);
            }
        }
        recordDirty = true;
        if (!toRevoke.isEmpty()) {
            long version = applied;
            safely("revoke", () -> listener.revoke(version, Collections.unmodifiableSortedSet(toRevoke)));
        }
        checkLeaveDone();
    }

    private void checkLeaveDone() {
        if (leaving && leaveWaiter != null && held.isEmpty()) {
            leaveWaiter.complete(true);
            leaveWaiter = null;
        }
    }

    /**
     * Heartbeats have stopped. Clean: record "gone" and delete the membership key (the leader
     * rebalances at once, no TTL wait). Not clean: tell the listener it lost what it still holds and
     * leave the key for the leader to evict, so the others wait for the lease to lapse before taking over.
     */
    private void finishLeave(boolean clean, CompletableFuture<Boolean> done) {
        Lease l = lease;
        try {
            if (l == null) {
                return;
            }
            if (!clean || !l.valid(System.nanoTime())) {
                Set<Integer> lost = new TreeSet<>(held);
                held.clear();
                revoking.clear();
                publishHeld();
                if (!lost.isEmpty()) {
                    safely("fenced", () -> listener.fenced(Collections.unmodifiableSet(lost)));
                }
                return;
            }
            Wire.Release gone = new Wire.Release(l.inc, applied, new int[0], true, "left", clock.millis(), List.of());
            try {
                ownRecordRevision = releasesKv.update(l.id, encode(gone), ownRecordRevision);
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != WRONG_LAST_SEQUENCE) {
                    throw e;
                }
                reloadOwnRecord(l);
                ownRecordRevision = releasesKv.update(l.id, encode(gone), ownRecordRevision);
            }
            // From here on the others may take the partitions: the record says this incarnation is gone.
            try {
                membersKv.delete(l.id, l.rev);
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debugf("%s: deleting the membership key: %s (the leader evicts it)", l.id, e.toString());
            }
            LeaderLease ll = leaderLease;
            if (ll != null) {
                onLostLeadership(ll, "left the group");
                try {
                    leaderKv.delete(AssignNames.LEADER_KEY, ll.rev);
                } catch (IOException | JetStreamApiException | RuntimeException e) {
                    LOG.debugf("%s: deleting the leader key: %s (a follower evicts it)", l.id, e.toString());
                }
            }
            LOG.infof("%s (incarnation %d) left the group", l.id, l.inc);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.warnf("%s: leaving cleanly failed (%s); the others will wait for the eviction (TTL + grace)", l == null ? instance : l.id, e.toString());
        } finally {
            lease = null;
            recordDirty = false;
            done.complete(true);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Leader duties

    private void leaderEvaluate() {
        if (!leading() || closed || leaving) {
            return;
        }
        resolveDepartures();
        if (!assignmentLoaded || !membersLoaded) {
            return;
        }
        trackRecoveries();
        List<Wire.MemberRef> live = liveMembers();
        long now = System.nanoTime();
        if (live.isEmpty()) {
            return;
        }
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
        for (MemberState m : memberView.values()) {
            if (m.present && m.inc > 0) { // a joining write without its incarnation stamp is not a member yet
                Wire.MemberRef r = new Wire.MemberRef(m.id, m.inc);
                if (!isGone(r)) {
                    live.add(r);
                }
            }
        }
        return Planner.sorted(live);
    }

    private boolean isGone(Wire.MemberRef r) {
        Wire.Release rel = releaseView.get(r.id());
        if (rel != null && (rel.inc() > r.inc() || (rel.inc() == r.inc() && rel.gone()))) {
            return true;
        }
        return departed.containsKey(r);
    }

    /**
     * Finds incarnations that are gone and records why: silent members past T + G are evicted
     * (revision-checked delete); incarnations the assignment or a release record still names but
     * whose key was deleted, expired or taken by a newer incarnation are marked gone.
     */
    private void resolveDepartures() {
        long now = System.nanoTime();
        for (MemberState m : new ArrayList<>(memberView.values())) {
            if (m.present && now - m.firstSeenNanos >= evictAfterNanos) {
                if (isGone(new Wire.MemberRef(m.id, m.inc))) {
                    removeStaleKey(m);
                } else {
                    evict(m);
                }
            }
        }
        if (!membersLoaded || !assignmentLoaded) {
            return;
        }
        Set<Wire.MemberRef> referenced = new LinkedHashSet<>();
        if (current != null) {
            referenced.addAll(current.members());
            for (List<Wire.WaitFor> ws : current.waitFor().values()) {
                for (Wire.WaitFor w : ws) {
                    referenced.add(w.ref());
                }
            }
        }
        for (Map.Entry<String, Wire.Release> e : releaseView.entrySet()) {
            if (!e.getValue().gone()) {
                referenced.add(new Wire.MemberRef(e.getKey(), e.getValue().inc()));
            }
        }
        for (Wire.MemberRef r : referenced) {
            if (isGone(r)) {
                Wire.Release rel = releaseView.get(r.id());
                if (!departed.containsKey(r)) {
                    // Gone by its own record (a graceful leave or a self-fence) or superseded.
                    boolean left = rel != null && rel.inc() == r.inc() && "left".equals(rel.reason());
                    MemberState seen = memberView.get(r.id());
                    long since = rel != null && rel.inc() == r.inc() ? rel.at() : clock.millis();
                    if (!left && seen != null && seen.inc == r.inc()) {
                        since = seen.lastBeatMs; // a lapse: the clock starts at its last heartbeat seen
                    }
                    markGone(r, left ? AssignMetricNames.KIND_PLANNED : AssignMetricNames.KIND_EMERGENCY, since, null);
                }
                continue;
            }
            MemberState m = memberView.get(r.id());
            if (m != null && m.present && m.inc == r.inc()) {
                continue; // alive; eviction handles silence
            }
            if (m != null && m.present && m.inc > r.inc()) {
                markGone(r, AssignMetricNames.KIND_EMERGENCY, clock.millis() - settings.heartbeatTtl().toMillis(), "superseded");
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
            evictionCounter.increment();
            LOG.infof("evicted %s (%s): no heartbeat for %d ms", m.id,
                    m.inc == 0 ? "a joining write never stamped with its incarnation" : "incarnation " + m.inc,
                    (System.nanoTime() - m.firstSeenNanos) / 1_000_000);
            markGone(r, AssignMetricNames.KIND_EMERGENCY, m.lastBeatMs, "evicted");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("evicting %s: %s", m.id, e.toString());
        }
    }

    /**
     * The key of an incarnation already gone (it fenced itself but could not delete its key, e.g.
     * during a NATS outage). Nothing expires in the members bucket, so the leader deletes it,
     * revision-checked, to free the id.
     */
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
     * expecting the leader's revision of it. The view's revision is the watch replica's numbering,
     * which after a drift (docs/partition-manager.md) never matches, so a silent member would
     * never be evicted; the value identifies the entry on every replica. If the leader holds
     * something newer, the view takes it instead.
     */
    private boolean deleteIfUnchanged(MemberState m) throws IOException, JetStreamApiException, InterruptedException {
        KeyValueEntry onLeader = LeaderReads.kvEntry(connection, names.membersBucket(), m.id).orElse(null);
        if (onLeader == null) {
            fenceExpired(m.id);
            return false;
        }
        if (onLeader.getOperation() != KeyValueOperation.PUT || !Arrays.equals(onLeader.getValue(), m.value)) {
            applyMemberEntry(m, onLeader);
            return false;
        }
        try {
            membersKv.delete(m.id, onLeader.getRevision());
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
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
            Optional<KeyValueEntry> entry = LeaderReads.kvEntry(connection, names.membersBucket(), r.id());
            if (entry.isEmpty()) {
                fenceExpired(r.id()); // no entry at all (purged by hand)
                return;
            }
            MemberState m = memberView.computeIfAbsent(r.id(), MemberState::new);
            KeyValueEntry e = entry.get();
            if (e.getOperation() != KeyValueOperation.PUT) {
                long deletedMs = e.getCreated() == null ? clock.millis() : e.getCreated().toInstant().toEpochMilli();
                m.present = false;
                m.value = null;
                markGone(r, AssignMetricNames.KIND_EMERGENCY, m.inc == r.inc() && m.lastBeatMs > 0 ? m.lastBeatMs : deletedMs, "deleted");
                return;
            }
            long inc;
            try {
                inc = heartbeat(e).inc();
            } catch (MalformedMessageException bad) {
                inc = 0;
            }
            if (inc == 0 || inc > r.inc()) {
                markGone(r, AssignMetricNames.KIND_EMERGENCY, clock.millis() - settings.heartbeatTtl().toMillis(), "superseded");
            }
            applyMemberEntry(m, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("reading member %s: %s", r.id(), e.toString());
        }
    }

    private void fenceExpired(String id) {
        MemberState m = memberView.get(id);
        try {
            membersKv.delete(id, 0);
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
        if (current != null && current.members().contains(r) && AssignMetricNames.KIND_EMERGENCY.equals(kind)) {
            emergencyPending = true;
        }
        if (reason != null && !writeGone(r, reason)) {
            goneToWrite.put(r, reason);
        }
    }

    /** Marks an incarnation gone in its release record (unless a newer incarnation or a "gone" is already there). */
    private boolean writeGone(Wire.MemberRef r, String reason) {
        Wire.Release rel = releaseView.get(r.id());
        if (rel == null && !releaseRevisions.containsKey(r.id())) {
            // Expecting "no record" is not checked before replicating (claimIfFree says why): ask the leader first.
            try {
                Optional<KeyValueEntry> entry = LeaderReads.kvEntry(connection, names.releasesBucket(), r.id());
                if (entry.isPresent()) {
                    onReleaseEntry(entry.get());
                    return false; // decided again on the next tick, with the record in view
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                return false;
            }
        }
        if (rel != null && (rel.inc() > r.inc() || (rel.inc() == r.inc() && rel.gone()))) {
            return true;
        }
        long expected = rel == null ? 0 : releaseRevisions.getOrDefault(r.id(), 0L);
        long asOf = rel != null && rel.inc() == r.inc() ? rel.asOf() : 0;
        Wire.Release gone = new Wire.Release(r.inc(), asOf, new int[0], true, reason, clock.millis(), List.of());
        try {
            long rev = releasesKv.update(r.id(), encode(gone), expected);
            releaseRevisions.merge(r.id(), rev, Math::max);
            releaseView.put(r.id(), gone);
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                try {
                    KeyValueEntry entry = releasesKv.get(r.id());
                    if (entry != null) {
                        onReleaseEntry(entry);
                    }
                } catch (IOException | JetStreamApiException | RuntimeException ignored) {
                    // retried on the next tick
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void publish(String kind, List<Wire.MemberRef> live) {
        LeaderLease ll = leaderLease;
        if (ll == null) {
            return;
        }
        Wire.Assignment next = Planner.next(current, live, weights, strategy, releaseView, departed, ll.member, kind, clock.millis());
        try {
            long rev = current == null
                    ? assignmentKv.create(AssignNames.ASSIGNMENT_KEY, next.encode())
                    : assignmentKv.update(AssignNames.ASSIGNMENT_KEY, next.encode(), currentRevision);
            Wire.Assignment previous = current;
            current = next;
            currentView = next;
            currentRevision = rev;
            lastRebalanceNanos = System.nanoTime();
            changeSinceNanos = -1;
            emergencyPending = false;
            weightsDirty = false;
            rebalances.get(kind).increment();
            LOG.infof("%s published assignment version %d (%s, %d members, %d partitions moved, %d waiting for a release)",
                    ll.member, next.version(), kind, live.size(), moved(previous, next), next.waitFor().size());
            applyLatest();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                reloadAssignment();
            } else {
                LOG.warnf("publishing assignment version %d failed: %s", next.version(), e.toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("publishing assignment version %d failed: %s", next.version(), e.toString());
        }
    }

    private void reloadAssignment() {
        try {
            KeyValueEntry entry = assignmentKv.get(AssignNames.ASSIGNMENT_KEY);
            if (entry != null) {
                onAssignmentEntry(entry);
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("reading the assignment: %s", e.toString());
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

    /** Records the member-level recovery of each departure once all its partitions were consumed by their new owners. */
    private void trackRecoveries() {
        if (current == null || current.departures().isEmpty()) {
            return;
        }
        Map<Integer, List<Planner.Consumed>> consumedNow = Planner.consumedByPartition(releaseView);
        long nowMs = clock.millis();
        Set<String> keys = new HashSet<>();
        for (Wire.Departure d : current.departures()) {
            keys.add(d.key());
            if (departuresDone.contains(d.key())) {
                continue;
            }
            Map<Integer, Long> seen = departureProgress.computeIfAbsent(d.key(), k -> new HashMap<>());
            long at = Planner.completedAt(d, consumedNow, seen);
            if (at >= 0) {
                departuresDone.add(d.key());
                departureProgress.remove(d.key());
                long took = Math.max(0, at - d.since());
                recovery.get(kindOf(d.kind())).record(took, TimeUnit.MILLISECONDS);
                LOG.infof("recovered from the departure of %s (%s, %d partitions) in %d ms", d.id(), d.kind(), d.partitions().length, took);
            } else if (nowMs - d.since() > Planner.HORIZON_MS) {
                departuresDone.add(d.key());
                departureProgress.remove(d.key());
                recoveryIncomplete.increment();
            }
        }
        departuresDone.retainAll(keys);
        departureProgress.keySet().retainAll(keys);
    }

    /** Re-reads the release records the pending partitions wait for (in case the releases watch stalled). */
    private void pollAwaitedReleases() {
        Wire.Assignment a = current;
        Lease l = lease;
        if (a == null || l == null || pending.isEmpty()) {
            return;
        }
        Set<String> ids = new TreeSet<>();
        for (int p : pending.keySet()) {
            for (Wire.WaitFor w : a.waitFor(p)) {
                if (!(w.id().equals(l.id) && w.inc() == l.inc) && !Handoff.confirmed(w, p, releaseView)) {
                    ids.add(w.id());
                }
            }
        }
        for (String id : ids) {
            try {
                KeyValueEntry entry = releasesKv.get(id);
                if (entry != null) {
                    onReleaseEntry(entry);
                }
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debugf("reading the release record of %s: %s", id, e.toString());
            }
        }
    }

    private String waitingOn(Wire.Assignment a) {
        Map<String, Integer> who = new TreeMap<>();
        Lease l = lease;
        for (int p : pending.keySet()) {
            for (Wire.WaitFor w : a.waitFor(p)) {
                if (l != null && w.id().equals(l.id) && w.inc() == l.inc) {
                    continue;
                }
                if (!Handoff.confirmed(w, p, releaseView)) {
                    who.merge(w.id() + "/" + w.inc(), 1, Integer::sum);
                }
            }
        }
        return who.toString();
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    private static String kindOf(String kind) {
        return AssignMetricNames.KIND_EMERGENCY.equals(kind) ? AssignMetricNames.KIND_EMERGENCY : AssignMetricNames.KIND_PLANNED;
    }

    private void safely(String what, Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s: the listener's %s callback failed", memberId().orElse(instance), what);
        }
    }

    private static byte[] encode(Object record) {
        return io.natsoak.model.Json.write(record);
    }

    private static Wire.Heartbeat heartbeat(KeyValueEntry entry) {
        return io.natsoak.model.Json.read(entry.getValue(), Wire.Heartbeat.class);
    }

    private static Wire.LeaderClaim claim(KeyValueEntry entry) {
        return io.natsoak.model.Json.read(entry.getValue(), Wire.LeaderClaim.class);
    }

    /** Forwards a watch to the loop. */
    private final class Forward implements KeyValueWatcher {
        private final Consumer<KeyValueEntry> onEntry;
        private final Runnable onEnd;

        Forward(Consumer<KeyValueEntry> onEntry, Runnable onEnd) {
            this.onEntry = onEntry;
            this.onEnd = onEnd;
        }

        @Override
        public void watch(KeyValueEntry entry) {
            post(() -> onEntry.accept(entry));
        }

        @Override
        public void endOfData() {
            post(onEnd);
        }
    }
}

package io.natsoak.worker;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.natsoak.assign.PartitionManager;
import io.natsoak.assign.Strategies;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.config.PartitionWeights;
import io.natsoak.config.WorkerAssignment;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.nats.Dispatchers;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Consumes the partitions this worker owns, simulates processing, publishes receipts and only
 * then commits each partition's position.
 * <p>
 * Ownership comes from the partition manager (docs/partition-manager.md) or, with the static
 * strategy, from {@code p mod workers == index}. Either way a partition is started, released
 * (revoke: stop pulling, flush, commit clean, then confirm) or fenced (lease lost: stop at once,
 * commit and receipt nothing more) by the same three operations on one {@code worker-handoff}
 * thread ({@link PartitionHandoff}).
 * <p>
 * Consumption model (see docs/architecture.md): the data stream has limits retention; each
 * partition is read by an ordered consumer (R1, memory, ephemeral: cheap at 1,500 partitions)
 * that starts after the partition's position committed in NATS KV. A partition's progress
 * therefore belongs to the partition and survives any owner's crash; consumers themselves are
 * disposable.
 * <p>
 * Ordering of effects for one message: receipt stored (PubAck, {@link ReceiptFlusher}) ->
 * position committed ({@link PositionStore}). A crash in between causes replays that the next
 * owner marks as possible redeliveries, never a false loss.
 * <p>
 * This class only composes the parts and orders their start and stop.
 */
public final class WorkerService extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(WorkerService.class);

    private final NatsoakConfig config;
    private final int index;
    private final Names names;
    private final Clock clock;
    private final MeterRegistry registry;
    private final WorkerMetrics metrics;
    private final String instance;
    /** The partitions this worker reads; kept across restarts in place (the partitions gauge holds it). */
    private final ConcurrentHashMap<Integer, PartitionState> active = new ConcurrentHashMap<>();
    private final Grants grants;
    private final PendingQueue queue;

    private volatile OwnedConnection link;
    private Connection connection;
    private PositionStore positions;
    private PartitionConsumers consumers;
    private ReceiptFlusher flusher;
    private volatile PartitionHandoff handoff;
    private OwnedExecutor.Scheduler committer;

    public WorkerService(NatsoakConfig config, int index, MeterRegistry registry, Clock clock) {
        super("worker");
        this.config = config;
        this.index = index;
        this.names = new Names(config.runId());
        this.clock = clock;
        this.registry = registry;
        this.instance = config.instance().orElse(index >= 0 ? "worker-" + index : "worker");
        this.metrics = new WorkerMetrics(registry, active);
        this.grants = new Grants(config.worker().assignment().managed());
        this.queue = new PendingQueue(config.worker().maxPending());
    }

    /** See {@link #withholdReceipts}. */
    private volatile WithheldReceipts withheld = WithheldReceipts.NONE;

    /**
     * For tests: from now on the messages {@code which} names are processed, and their partition's
     * position moves past them, but their receipt is never sent. A loss in natsoak's own pipeline,
     * which the verdict must report as such.
     */
    public void withholdReceipts(WithheldReceipts which) {
        this.withheld = which;
    }

    /** The partitions this worker reads now. */
    public Set<Integer> partitions() {
        return new TreeSet<>(active.keySet());
    }

    /** Ready with no partition: the manager applied an assignment that gives this member none (or static assignment gave none). */
    @Override
    protected boolean settledIdle() {
        if (!config.worker().assignment().managed()) {
            return java.util.stream.IntStream.range(0, config.partitions().count()).noneMatch(p -> p % config.worker().count() == index);
        }
        PartitionManager m = grants.manager();
        boolean idle = m != null && m.appliedVersion() > 0 && m.leaseValid() && m.owned().isEmpty();
        long now = System.nanoTime();
        if (!idle) {
            idleSinceNanos = 0;
            return false;
        }
        if (idleSinceNanos == 0) {
            idleSinceNanos = now;
        }
        // Settled, not just joined: the first assignment a joining member sees often gives it nothing
        // until the next rebalance. A worker judged from then (27 threads) grew to 40 once it had
        // partitions, and the hour-long chaos soak called that a leak.
        return now - idleSinceNanos >= IDLE_SETTLED_NANOS;
    }

    /** How long an empty assignment must hold before an idle worker counts as ready. */
    private static final long IDLE_SETTLED_NANOS = java.time.Duration.ofMinutes(1).toNanos();
    /** When the manager's assignment last became empty for this member (0: it is not); read by the resource sampler's thread. */
    private volatile long idleSinceNanos;

    /** The callbacks this worker gives its partition manager; tests call them to replay a late one. */
    PartitionManager.Listener ownership() {
        return handoff;
    }

    /** The partition manager, while running with a managed strategy. */
    public PartitionManager manager() {
        return grants.manager();
    }

    @Override
    protected void doStart() throws Exception {
        queue.reset();
        active.clear();
        String incarnation = instance + "-" + UUID.randomUUID().toString().substring(0, 8);
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        connection = link.connection();
        new Provisioner(connection, names, config.nats()).ensureAllPatiently();
        positions = new PositionStore(connection, names, grants, instance, incarnation);
        consumers = new PartitionConsumers(connection, names, queue, grants, metrics,
                config.worker().processingDelayMin(), config.worker().processingDelayMax());
        flusher = new ReceiptFlusher(name(), queue, config.worker().receiptBatchSize(), config.worker().receiptLinger(),
                new ReceiptFlusher.Wiring(connection.jetStream(), names, instance, incarnation, clock, grants, metrics,
                        this::aborting, this::fail, this::workDone, (p, seq) -> withheld.withhold(p, seq)));
        flusher.start();
        handoff = new PartitionHandoff(name(), active, positions, consumers, grants, instance, this::aborting);
        committer = OwnedExecutor.scheduler(name(), "commit");
        long interval = config.worker().commitInterval().toMillis();
        PositionStore store = positions;
        committer.executor().scheduleWithFixedDelay(() -> store.commitAdvanced(active.values()), interval, interval, TimeUnit.MILLISECONDS);
        if (config.worker().assignment().managed()) {
            PartitionManager m = new PartitionManager(connection, config.runId(), config.nats().replicas(), WorkerAssignment.settings(config),
                    Strategies.of(config), handoff, clock, registry);
            PartitionWeights weights = new PartitionWeights(config.partitions());
            m.updateWeights(IntStream.range(0, weights.count()).mapToDouble(weights::weight).toArray());
            grants.follow(m);
            m.start();
            LOG.infof("worker %s started; partitions come from the partition manager (%s)", instance,
                    config.worker().assignment().name().toLowerCase(Locale.ROOT));
        } else {
            int[] mine = IntStream.range(0, config.partitions().count()).filter(p -> p % config.worker().count() == index).toArray();
            for (int p : mine) {
                handoff.start(p);
            }
            LOG.infof("worker %s started: %d partitions (static)", instance, mine.length);
        }
    }

    @Override
    protected void dropConnection() {
        PartitionManager m = grants.manager();
        if (m != null) {
            m.halt();
        }
        OwnedConnection.close(link);
    }

    @Override
    protected void doStop() {
        PartitionManager m = grants.manager();
        if (m != null) {
            // A planned leave: the manager revokes everything (released on the handoff thread) and
            // deletes this member, so the others take over at once instead of after the TTL.
            if (aborting()) {
                m.halt();
            } else {
                m.stop();
            }
            grants.follow(null);
        }
        if (handoff != null) {
            handoff.close();
            handoff = null;
        }
        active.values().forEach(PartitionConsumers::stop);
        queue.close();
        boolean flushed = false;
        if (flusher != null) {
            flushed = flusher.drainAndStop(PartitionHandoff.DRAIN_TIMEOUT, aborting());
            flusher = null;
        }
        if (committer != null) {
            committer.close();
            committer = null;
        }
        if (positions != null && !aborting()) {
            for (PartitionState state : active.values()) {
                positions.commit(state, flushed);
            }
        }
        if (consumers != null) {
            for (PartitionState state : active.values()) {
                consumers.close(state, aborting());
            }
        }
        active.clear();
        if (positions != null) {
            positions.close();
            positions = null;
        }
        if (consumers != null) {
            Dispatchers.close(connection, consumers.dispatcher());
            consumers = null;
        }
        connection = null;
        if (link != null) {
            link.close();
            link = null;
        }
        queue.clear();
        LOG.infof("worker %s stopped (%s)", instance, flushed ? "everything flushed and committed" : "with unflushed messages; they will be read again");
    }
}

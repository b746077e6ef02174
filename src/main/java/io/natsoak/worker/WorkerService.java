package io.natsoak.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.assign.PartitionManager;
import io.natsoak.assign.Strategies;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.config.PartitionWeights;
import io.natsoak.config.WorkerAssignment;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.Envelope;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.nats.Dispatchers;
import io.natsoak.nats.LeaderReads;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.PublishOptions;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.OrderedConsumerConfiguration;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Consumes the partitions this worker owns, simulates processing, publishes receipts and only
 * then commits each partition's position.
 * <p>
 * Ownership comes from the partition manager (docs/partition-manager.md) or, with the static
 * strategy, from {@code p mod workers == index}. Either way a partition is started, released
 * (revoke: stop pulling, flush, commit clean, then confirm) or fenced (lease lost: stop at once,
 * commit and receipt nothing more) by the same three operations on one {@code worker-handoff}
 * thread.
 * <p>
 * Consumption model (see docs/architecture.md): the data stream has limits retention; each
 * partition is read by an ordered consumer (R1, memory, ephemeral: cheap at 1,500 partitions)
 * that starts after the partition's position committed in NATS KV. A partition's progress
 * therefore belongs to the partition and survives any owner's crash; consumers themselves are
 * disposable.
 * <p>
 * Ordering of effects for one message: receipt stored (PubAck) -> position committed. A crash
 * in between causes replays that the next owner marks as possible redeliveries, never a false
 * loss.
 */
public final class WorkerService extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(WorkerService.class);
    private static final int PULL_BATCH = 256;
    /** Short pulls mean frequent heartbeats, so a dead consumer is noticed and recreated within seconds. */
    private static final Duration PULL_EXPIRES = Duration.ofSeconds(5);
    private static final int WRONG_LAST_SEQUENCE = 10071;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final NatsoakConfig config;
    private final int index;
    private final Names names;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Counter processedCounter;
    private final Counter replayedCounter;
    private final Counter malformedCounter;
    private final Counter receiptBatches;
    private final Counter receiptRetries;

    private final String instance;
    private String incarnation;
    private volatile OwnedConnection link;
    private volatile Connection connection;
    private JetStream js;
    private KeyValue positions;
    private Dispatcher dispatcher;
    private volatile PartitionManager manager;
    private OwnedExecutor.Scheduler handoff;
    private final ConcurrentHashMap<Integer, PartitionState> active = new ConcurrentHashMap<>();
    private final Ownership ownership = new Ownership();
    private final DelayQueue<PendingMessage> queue = new DelayQueue<>();
    private Thread flusher;
    private OwnedExecutor.Scheduler committer;
    private volatile boolean draining;
    private long arrivals;
    private long batchCounter;

    public WorkerService(NatsoakConfig config, int index, MeterRegistry registry, Clock clock) {
        super("worker");
        this.config = config;
        this.index = index;
        this.names = new Names(config.runId());
        this.clock = clock;
        this.registry = registry;
        this.instance = config.instance().orElse(index >= 0 ? "worker-" + index : "worker");
        this.processedCounter = registry.counter(MetricNames.WORKER_PROCESSED);
        this.replayedCounter = registry.counter(MetricNames.WORKER_REPLAYED);
        this.malformedCounter = registry.counter(MetricNames.WORKER_MALFORMED);
        this.receiptBatches = registry.counter(MetricNames.WORKER_RECEIPT_BATCHES);
        this.receiptRetries = registry.counter(MetricNames.WORKER_RECEIPT_RETRIES);
        if (registry.find(MetricNames.WORKER_PARTITIONS).gauge() == null) {
            Gauge.builder(MetricNames.WORKER_PARTITIONS, active, ConcurrentHashMap::size)
                    .description("Partitions this worker currently reads").register(registry);
        }
    }

    /** The partitions this worker reads now. */
    public Set<Integer> partitions() {
        return new TreeSet<>(active.keySet());
    }

    /** The callbacks this worker gives its partition manager; tests call them to replay a late one. */
    PartitionManager.Listener ownership() {
        return ownership;
    }

    /** The partition manager, while running with a managed strategy. */
    public PartitionManager manager() {
        return manager;
    }

    @Override
    protected void doStart() throws Exception {
        draining = false;
        queue.clear();
        active.clear();
        incarnation = instance + "-" + UUID.randomUUID().toString().substring(0, 8);
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        connection = link.connection();
        new Provisioner(connection, names, config.nats()).ensureAllPatiently();
        js = connection.jetStream();
        positions = connection.keyValue(names.positionsBucket());
        dispatcher = connection.createDispatcher();
        flusher = new NamedThreads(name(), "receipts").newThread(this::flushLoop);
        flusher.start();
        handoff = OwnedExecutor.scheduler(name(), "handoff");
        committer = OwnedExecutor.scheduler(name(), "commit");
        long interval = config.worker().commitInterval().toMillis();
        committer.executor().scheduleWithFixedDelay(this::commitAdvanced, interval, interval, TimeUnit.MILLISECONDS);
        if (config.worker().assignment().managed()) {
            PartitionManager m = new PartitionManager(connection, config.runId(), config.nats().replicas(), WorkerAssignment.settings(config),
                    Strategies.of(config), ownership, clock, registry);
            PartitionWeights weights = new PartitionWeights(config.partitions());
            m.updateWeights(IntStream.range(0, weights.count()).mapToDouble(weights::weight).toArray());
            manager = m;
            m.start();
            LOG.infof("worker %s started; partitions come from the partition manager (%s)", instance,
                    config.worker().assignment().name().toLowerCase(java.util.Locale.ROOT));
        } else {
            int[] mine = IntStream.range(0, config.partitions().count()).filter(p -> p % config.worker().count() == index).toArray();
            for (int p : mine) {
                startPartition(p);
            }
            LOG.infof("worker %s started: %d partitions (static)", instance, mine.length);
        }
    }

    /** The partition manager's callbacks: flags are set at once, consumers are started and stopped on the handoff thread. */
    private final class Ownership implements PartitionManager.Listener {
        @Override
        public void grant(long version, Set<Integer> granted) {
            handoff.executor().execute(() -> {
                for (int p : granted) {
                    try {
                        startPartition(p);
                    } catch (Exception e) {
                        LOG.errorf("worker %s: cannot start partition %d: %s", instance, p, e);
                    }
                }
            });
        }

        @Override
        public void revoke(long version, Set<Integer> revoked) {
            for (int p : revoked) {
                PartitionState s = active.get(p);
                if (s != null) {
                    s.accepting = false;
                }
            }
            handoff.executor().execute(() -> {
                for (int p : revoked) {
                    releasePartition(p);
                }
                PartitionManager m = manager;
                if (m != null) {
                    m.released(version, revoked);
                }
            });
        }

        @Override
        public void fenced(Set<Integer> lost) {
            // First stop receipting and committing, right here: another owner may already be reading.
            for (int p : lost) {
                PartitionState s = active.get(p);
                if (s != null) {
                    s.accepting = false;
                    s.owned = false;
                }
            }
            handoff.executor().execute(() -> lost.forEach(WorkerService.this::dropPartition));
        }
    }

    /** Claims the partition's position and starts its consumer. */
    private void startPartition(int p) throws Exception {
        if (active.containsKey(p)) {
            return;
        }
        PartitionState state = Retry.within(Provisioner.START_PATIENCE, "claiming partition " + p, () -> claim(p));
        if (state == null) {
            LOG.infof("worker %s: partition %d was no longer ours when its claim ran (fenced or moved meanwhile); not started", instance, p);
            return;
        }
        active.put(p, state);
        Retry.within(Provisioner.START_PATIENCE, "consuming partition " + p, () -> consume(state));
    }

    /** Revoke: stop pulling, wait until everything taken is receipted, commit clean, close the consumer. */
    private void releasePartition(int p) {
        PartitionState state = active.get(p);
        if (state == null) {
            return;
        }
        state.accepting = false;
        stopConsumer(state);
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (state.queued.get() > 0 && System.nanoTime() < deadline && !aborting()) {
            sleepQuietly(5);
        }
        boolean clean = state.queued.get() == 0;
        commit(state, clean);
        state.owned = false;
        closeConsumer(state);
        active.remove(p);
    }

    /** Fence: the partition is no longer ours; nothing more is receipted or committed for it. */
    private void dropPartition(int p) {
        PartitionState state = active.remove(p);
        if (state != null) {
            state.accepting = false;
            state.owned = false;
            stopConsumer(state);
            closeConsumer(state);
        }
    }

    /**
     * True while the partition manager still gives us this partition (always, with the static
     * strategy). A grant waits on the handoff thread behind earlier work, and its claim retries
     * through a NATS outage; the lease can lapse meanwhile and the partition go to another member.
     */
    /** Ready with no partition: the manager applied an assignment that gives this member none (or static assignment gave none). */
    @Override
    protected boolean settledIdle() {
        if (!config.worker().assignment().managed()) {
            return IntStream.range(0, config.partitions().count()).noneMatch(p -> p % config.worker().count() == index);
        }
        PartitionManager m = manager;
        return m != null && m.appliedVersion() > 0 && m.leaseValid() && m.owned().isEmpty();
    }

    private boolean stillGranted(int p) {
        if (!config.worker().assignment().managed()) {
            return true;
        }
        PartitionManager m = manager;
        return m != null && m.owns(p);
    }

    /**
     * Reads the partition's committed position and records this worker as its running owner; null
     * if the partition is no longer ours. The position write is a plain put, so it is made only
     * while the lease still holds: a member whose claim outlived its lease (a grant queued before a
     * fence and retried through the outage that caused it) overwrote the new owner's record, and
     * the new owner's next commit failed its revision check and gave the partition up.
     */
    private PartitionState claim(int p) throws Exception {
        byte[] stored = readPositionFromLeader(p);
        Position previous = stored == null || stored.length == 0 ? null : Position.decode(stored);
        long start = previous == null ? 0 : previous.streamSequence();
        long replayUntil = 0;
        if (previous != null && !previous.clean()) {
            replayUntil = Math.max(previous.replayUntil(), lastStreamSequence(p));
        } else if (previous != null) {
            // Handed over cleanly in the middle of a replay it had inherited: the rest of that
            // replay may still have been processed by the owner before it.
            replayUntil = previous.replayUntil();
        }
        if (!stillGranted(p)) {
            return null;
        }
        long revision = positions.put(Names.positionKey(p), new Position(start, false, replayUntil, incarnation).encode());
        if (replayUntil > start) {
            LOG.infof("partition %d: previous owner %s %s; replaying after %d up to %d as possible redeliveries", p, previous.owner(),
                    previous.clean() ? "handed over inside a replay" : "stopped without committing", start, replayUntil);
        }
        return new PartitionState(p, start, replayUntil, revision);
    }

    /**
     * The committed position, read from the bucket's stream leader ({@link LeaderReads}). A KV get
     * may be answered by any replica (direct get), and a replica that has not applied the last
     * commit yet would hand a new owner an old position: it would replay messages as if first
     * delivered and the verifier would rightly call them unexplained duplicates.
     */
    private byte[] readPositionFromLeader(int p) throws Exception {
        MessageInfo entry = positionEntryFromLeader(p);
        return entry == null ? null : entry.getData();
    }

    /** The position's last KV entry (value and revision) from the bucket's stream leader; null if none. */
    private MessageInfo positionEntryFromLeader(int p) throws Exception {
        return LeaderReads.kvMessage(connection, names.positionsBucket(), Names.positionKey(p)).orElse(null);
    }

    /** The partition's last stream sequence, from the data stream's leader; 0 if it has none. */
    private long lastStreamSequence(int p) throws Exception {
        return LeaderReads.lastMessage(connection, names.dataStream(), names.dataSubject(p)).map(MessageInfo::getSeq).orElse(0L);
    }

    /**
     * An ordered consumer (R1, memory, ephemeral) from the committed position. jnats recreates it
     * by itself, from the last delivered sequence, when its server dies or heartbeats stop, so a
     * NATS node failure neither stalls the partition nor redelivers anything.
     */
    private MessageConsumer consume(PartitionState state) throws Exception {
        OrderedConsumerConfiguration cc = new OrderedConsumerConfiguration()
                .filterSubject(names.dataSubject(state.partition))
                .deliverPolicy(DeliverPolicy.ByStartSequence)
                .startSequence(state.committed + 1)
                .consumerNamePrefix("w" + state.partition);
        OrderedConsumerContext ctx = connection.getStreamContext(names.dataStream()).createOrderedConsumer(cc);
        ConsumeOptions options = ConsumeOptions.builder().batchSize(PULL_BATCH).expiresIn(PULL_EXPIRES.toMillis()).build();
        MessageConsumer consumer = ctx.consume(options, dispatcher, msg -> onMessage(state, msg));
        state.consumer = consumer;
        return consumer;
    }

    /** Runs on the dispatcher thread (one for all partitions). */
    private void onMessage(PartitionState state, Message msg) {
        if (!msg.isJetStream()) {
            return;
        }
        // Counted before the accepting check, never after: a release stops accepting, then waits
        // until nothing is queued and commits clean. Counted after, a message that passed the
        // check just before the release could be receipted above that clean position, and its
        // new owner would process it again as a first delivery.
        state.queued.incrementAndGet();
        if (draining || !state.accepting) {
            state.queued.decrementAndGet();
            return;
        }
        try {
            enqueue(state, msg);
        } catch (RuntimeException e) {
            state.queued.decrementAndGet();
            throw e;
        }
    }

    private void enqueue(PartitionState state, Message msg) {
        // Back-pressure: while the flusher is behind (a receipts-stream failover), stop taking
        // messages; the pull stalls and nothing piles up in memory.
        while (queue.size() >= config.worker().maxPending() && !draining && !Thread.currentThread().isInterrupted()) {
            sleepQuietly(1);
        }
        if (!state.firstSeen) {
            state.firstSeen = true;
            PartitionManager m = manager;
            if (m != null) {
                m.firstMessageConsumed(state.partition);
            }
        }
        long streamSeq = msg.metaData().streamSequence();
        int delivered = (int) msg.metaData().deliveredCount();
        long sequence;
        long intended;
        try {
            Envelope env = Envelope.decode(msg.getData());
            sequence = env.sequence();
            intended = env.intendedAtMicros();
        } catch (MalformedMessageException e) {
            malformedCounter.increment();
            LOG.warnf("partition %d: stream sequence %d is not a natsoak message (%s); skipping it", state.partition, streamSeq, e.getMessage());
            sequence = -1;
            intended = 0;
        }
        if (streamSeq <= state.replayUntil) {
            delivered += 1;
            replayedCounter.increment();
        }
        long min = config.worker().processingDelayMin().toNanos();
        long max = config.worker().processingDelayMax().toNanos();
        long delay = max > min ? ThreadLocalRandom.current().nextLong(min, max + 1) : min;
        long readyAt = Math.max(System.nanoTime() + delay, state.lastReadyAt);
        state.lastReadyAt = readyAt;
        queue.add(new PendingMessage(msg, state, sequence, streamSeq, delivered, intended, readyAt, arrivals++));
    }

    private void flushLoop() {
        int batchSize = config.worker().receiptBatchSize();
        long lingerNanos = config.worker().receiptLinger().toNanos();
        List<PendingMessage> batch = new ArrayList<>(batchSize);
        try {
            while (!(draining && queue.isEmpty())) {
                PendingMessage first = queue.poll(lingerNanos, TimeUnit.NANOSECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + lingerNanos;
                while (batch.size() < batchSize) {
                    PendingMessage next = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                flush(batch);
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Retry.Abandoned e) {
            LOG.warnf("worker %s: %s; %d processed messages are not receipted and will be read again", instance, e.getMessage(), batch.size());
        } catch (RuntimeException e) {
            fail("receipt flusher died", e);
        }
    }

    /** True while this worker may still receipt and commit the partition. */
    private boolean owns(PartitionState state) {
        PartitionManager m = manager;
        return state.owned && (m == null || m.owns(state.partition));
    }

    private void flush(List<PendingMessage> batch) throws Retry.Abandoned, InterruptedException {
        long nowMicros = clock.millis() * 1000;
        List<Receipt> receipts = new ArrayList<>(batch.size());
        List<PendingMessage> kept = new ArrayList<>(batch.size());
        for (PendingMessage m : batch) {
            if (!owns(m.state())) {
                // Moved away (fenced) while it was processed: its new owner reads it again.
                m.state().queued.decrementAndGet();
                continue;
            }
            kept.add(m);
            if (m.sequence() > 0) {
                receipts.add(new Receipt(m.partition(), m.sequence(), m.deliveryCount(), Math.max(0, nowMicros - m.intendedAtMicros())));
            }
        }
        if (!receipts.isEmpty()) {
            byte[] payload = new ReceiptBatch(instance, receipts).encode();
            PublishOptions opts = PublishOptions.builder()
                    .expectedStream(names.receiptsStream())
                    .messageId(incarnation + "-" + (++batchCounter))
                    .build();
            Retry.until("receipt publish", () -> Thread.currentThread().isInterrupted() || aborting(),
                    () -> js.publish(names.receiptsSubject(), payload, opts),
                    (what, failures, error) -> {
                        receiptRetries.increment();
                        if (failures % 10 == 0) {
                            LOG.warnf("worker %s: %s failed (%s); retrying", instance, what, error.toString());
                        }
                    });
            receiptBatches.increment();
            workDone();
        }
        for (PendingMessage m : kept) {
            PartitionState state = m.state();
            if (m.streamSequence() > state.processed) {
                state.processed = m.streamSequence();
            }
            state.queued.decrementAndGet();
        }
        processedCounter.increment(kept.size());
    }

    private void commitAdvanced() {
        for (PartitionState state : active.values()) {
            if (state.processed > state.committed) {
                commit(state, false);
            }
        }
    }

    /**
     * Commits one partition's position with a revision check: if anyone else wrote it since this
     * owner's last write (a new owner after this one was frozen), the commit fails and this worker
     * stops treating the partition as its own.
     */
    private void commit(PartitionState state, boolean clean) {
        if (!owns(state) || connection == null) {
            return;
        }
        synchronized (state) {
            long position = Math.max(state.processed, state.committed);
            try {
                state.revision = positions.update(Names.positionKey(state.partition), new Position(position, clean, state.replayUntil, incarnation).encode(),
                        state.revision);
                state.committed = position;
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                    adoptOwnWriteOrGiveUp(state);
                } else {
                    LOG.warnf("worker %s: position commit of partition %d failed (%s); will retry", instance, state.partition, e.toString());
                }
            } catch (Exception e) {
                LOG.warnf("worker %s: position commit of partition %d failed (%s); will retry", instance, state.partition, e.toString());
            }
        }
    }

    /**
     * The revision check failed. Either our own earlier write was stored but its PubAck was lost
     * (a NATS failover): then the stored entry is ours, we adopt its revision and the next commit
     * goes through. Or another owner wrote it: then the partition is no longer ours.
     */
    private void adoptOwnWriteOrGiveUp(PartitionState state) {
        try {
            MessageInfo entry = positionEntryFromLeader(state.partition);
            if (entry != null && entry.getData() != null && incarnation.equals(Position.decode(entry.getData()).owner())) {
                state.revision = entry.getSeq();
                LOG.infof("worker %s: partition %d's last position write was stored without an acknowledgement; continuing from it",
                        instance, state.partition);
                return;
            }
        } catch (Exception e) {
            LOG.warnf("worker %s: cannot read partition %d's position (%s); will retry", instance, state.partition, e.toString());
            return;
        }
        LOG.warnf("worker %s: partition %d's position was written by another owner; giving the partition up", instance, state.partition);
        state.owned = false;
        state.accepting = false;
    }

    @Override
    protected void dropConnection() {
        PartitionManager m = manager;
        if (m != null) {
            m.halt();
        }
        OwnedConnection.close(link);
    }

    @Override
    protected void doStop() {
        PartitionManager m = manager;
        if (m != null) {
            // A planned leave: the manager revokes everything (released on the handoff thread) and
            // deletes this member, so the others take over at once instead of after the TTL.
            if (aborting()) {
                m.halt();
            } else {
                m.stop();
            }
            manager = null;
        }
        if (handoff != null) {
            if (!aborting()) {
                // Whatever is still ours (static strategy, or left over): release it cleanly.
                for (int p : new ArrayList<>(active.keySet())) {
                    handoff.executor().execute(() -> releasePartition(p));
                }
                handoff.executor().shutdown();
                try {
                    handoff.executor().awaitTermination(DRAIN_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            handoff.close();
            handoff = null;
        }
        for (PartitionState state : active.values()) {
            stopConsumer(state);
        }
        draining = true;
        boolean flushed = false;
        if (flusher != null) {
            try {
                if (aborting()) {
                    flusher.interrupt();
                }
                flusher.join(DRAIN_TIMEOUT.toMillis());
                if (flusher.isAlive()) {
                    flusher.interrupt();
                    flusher.join(DRAIN_TIMEOUT.toMillis());
                } else {
                    flushed = queue.isEmpty();
                }
            } catch (InterruptedException e) {
                flusher.interrupt();
                Thread.currentThread().interrupt();
            }
            flusher = null;
        }
        if (committer != null) {
            committer.close();
            committer = null;
        }
        if (!aborting()) {
            for (PartitionState state : active.values()) {
                commit(state, flushed);
            }
        }
        for (PartitionState state : active.values()) {
            closeConsumer(state);
        }
        active.clear();
        if (connection != null) {
            if (dispatcher != null) {
                Dispatchers.close(connection, dispatcher);
                dispatcher = null;
            }
            connection = null;
        }
        if (link != null) {
            link.close();
            link = null;
        }
        queue.clear();
        LOG.infof("worker %s stopped (%s)", instance, flushed ? "everything flushed and committed" : "with unflushed messages; they will be read again");
    }

    private static void stopConsumer(PartitionState state) {
        MessageConsumer c = state.consumer;
        if (c != null) {
            try {
                c.stop();
            } catch (RuntimeException e) {
                LOG.debugf("stopping consumer of partition %d: %s", state.partition, e);
            }
        }
    }

    private void closeConsumer(PartitionState state) {
        MessageConsumer c = state.consumer;
        if (c == null) {
            return;
        }
        state.consumer = null;
        String serverName = c.getConsumerName();
        try {
            c.close();
            Connection conn = connection;
            if (conn != null && serverName != null && !aborting()) {
                // Ephemeral consumers also expire by themselves; deleting them now keeps a
                // restart-heavy soak from accumulating idle consumers on the servers.
                conn.jetStreamManagement().deleteConsumer(names.dataStream(), serverName);
            }
        } catch (Exception e) {
            LOG.debugf("consumer %s not deleted (%s); the server removes it when idle", serverName, e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One partition this worker reads. Touched by the dispatcher, flusher, committer and handoff threads as noted. */
    static final class PartitionState {
        final int partition;
        /** Stream sequences at or below this may have been processed by a previous owner. */
        final long replayUntil;
        /** KV revision of this owner's last write of the position (revision-checked updates). */
        long revision;
        volatile long committed;
        /** Highest stream sequence whose receipt is stored (flusher thread writes). */
        volatile long processed;
        /** Messages taken and not yet receipted or dropped. */
        final AtomicInteger queued = new AtomicInteger();
        /** False once revoked or fenced: new messages are not taken. */
        volatile boolean accepting = true;
        /** False once fenced or overwritten: nothing more is receipted or committed. */
        volatile boolean owned = true;
        /** Dispatcher thread only. */
        long lastReadyAt;
        boolean firstSeen;
        volatile MessageConsumer consumer;

        PartitionState(int partition, long committed, long replayUntil, long revision) {
            this.partition = partition;
            this.committed = committed;
            this.processed = committed;
            this.replayUntil = replayUntil;
            this.revision = revision;
        }
    }
}

package io.natsoak.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.Envelope;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.PublishOptions;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Consumes this worker's partitions, simulates processing, publishes receipts and only then
 * acknowledges the data and commits each partition's position.
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
    private static final int NO_MESSAGE_FOUND = 10037;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final NatsoakConfig config;
    private final int index;
    private final Names names;
    private final int[] mine;
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
    private Dispatcher dispatcher;
    private PartitionState[] partitions;
    private final List<MessageConsumer> consumers = new ArrayList<>();
    private final DelayQueue<PendingMessage> queue = new DelayQueue<>();
    private Thread flusher;
    private OwnedExecutor.Scheduler committer;
    private volatile boolean draining;
    private long arrivals;

    public WorkerService(NatsoakConfig config, int index, MeterRegistry registry, Clock clock) {
        super("worker");
        this.config = config;
        this.index = index;
        this.names = new Names(config.runId());
        this.mine = IntStream.range(0, config.partitions().count()).filter(p -> p % config.worker().count() == index).toArray();
        this.clock = clock;
        this.registry = registry;
        this.instance = config.instance().orElse("worker-" + index);
        this.processedCounter = registry.counter(MetricNames.WORKER_PROCESSED);
        this.replayedCounter = registry.counter(MetricNames.WORKER_REPLAYED);
        this.malformedCounter = registry.counter(MetricNames.WORKER_MALFORMED);
        this.receiptBatches = registry.counter(MetricNames.WORKER_RECEIPT_BATCHES);
        this.receiptRetries = registry.counter(MetricNames.WORKER_RECEIPT_RETRIES);
    }

    public int[] partitions() {
        return mine.clone();
    }

    @Override
    protected void doStart() throws Exception {
        draining = false;
        queue.clear();
        incarnation = instance + "-" + UUID.randomUUID().toString().substring(0, 8);
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        connection = link.connection();
        new Provisioner(connection, names, config.nats()).ensureAllPatiently();
        js = connection.jetStream();
        partitions = new PartitionState[config.partitions().count()];
        dispatcher = connection.createDispatcher();
        flusher = new NamedThreads(name(), "receipts").newThread(this::flushLoop);
        flusher.start();
        KeyValue positions = connection.keyValue(names.positionsBucket());
        for (int p : mine) {
            PartitionState state = Retry.within(Provisioner.START_PATIENCE, "claiming partition " + p, () -> claim(positions, p));
            partitions[p] = state;
            consumers.add(Retry.within(Provisioner.START_PATIENCE, "consuming partition " + p, () -> consume(state)));
        }
        committer = OwnedExecutor.scheduler(name(), "commit");
        long interval = config.worker().commitInterval().toMillis();
        committer.executor().scheduleWithFixedDelay(() -> commit(false), interval, interval, TimeUnit.MILLISECONDS);
        LOG.infof("worker %s started: %d partitions", instance, mine.length);
    }

    /** Reads the partition's committed position and records this worker as its running owner. */
    private PartitionState claim(KeyValue positions, int p) throws Exception {
        byte[] stored = readPositionFromLeader(p);
        long start = 0;
        long replayUntil = 0;
        if (stored != null && stored.length > 0) {
            Position pos = Position.decode(stored);
            start = pos.streamSequence();
            if (!pos.clean()) {
                replayUntil = lastStreamSequence(p);
                LOG.infof("partition %d: previous owner %s stopped without committing; replaying after %d up to %d as possible redeliveries",
                        p, pos.owner(), start, replayUntil);
            }
        }
        positions.put(Names.positionKey(p), new Position(start, false, incarnation).encode());
        return new PartitionState(p, start, replayUntil);
    }

    /**
     * The committed position, read from the bucket's stream leader. A KV get may be answered by
     * any replica (direct get), and a replica that has not applied the last commit yet would
     * hand a new owner an old position: it would replay messages as if first delivered and the
     * verifier would rightly call them unexplained duplicates.
     */
    private byte[] readPositionFromLeader(int p) throws Exception {
        try {
            return connection.jetStreamManagement()
                    .getLastMessage("KV_" + names.positionsBucket(), "$KV." + names.positionsBucket() + "." + Names.positionKey(p))
                    .getData();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                return null;
            }
            throw e;
        }
    }

    private long lastStreamSequence(int p) throws Exception {
        try {
            return connection.jetStreamManagement().getLastMessage(names.dataStream(), names.dataSubject(p)).getSeq();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                return 0;
            }
            throw e;
        }
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

    /** Runs on the dispatcher thread (one for all partitions): no locking of partition state needed. */
    private void onMessage(PartitionState state, Message msg) {
        if (!msg.isJetStream() || draining) {
            return;
        }
        // Back-pressure: while the flusher is behind (a receipts-stream failover), stop taking
        // messages; the pull stalls and nothing piles up in memory.
        while (queue.size() >= config.worker().maxPending() && !draining && !Thread.currentThread().isInterrupted()) {
            sleepQuietly(1);
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
        queue.add(new PendingMessage(msg, state.partition, sequence, streamSeq, delivered, intended, readyAt, arrivals++));
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
            LOG.warnf("worker %s: %s; %d processed messages stay unacknowledged and will be redelivered", instance, e.getMessage(), batch.size());
        } catch (RuntimeException e) {
            fail("receipt flusher died", e);
        }
    }

    private long batchCounter;

    private void flush(List<PendingMessage> batch) throws Retry.Abandoned, InterruptedException {
        long nowMicros = clock.millis() * 1000;
        List<Receipt> receipts = new ArrayList<>(batch.size());
        for (PendingMessage m : batch) {
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
        }
        for (PendingMessage m : batch) {
            PartitionState state = partitions[m.partition()];
            if (m.streamSequence() > state.processed) {
                state.processed = m.streamSequence();
            }
        }
        processedCounter.increment(batch.size());
    }

    /** Commits the positions that advanced; {@code clean} on a graceful stop after everything was flushed. */
    private void commit(boolean clean) {
        Connection conn = connection;
        if (conn == null || partitions == null) {
            return;
        }
        try {
            KeyValue kv = conn.keyValue(names.positionsBucket());
            for (int p : mine) {
                PartitionState state = partitions[p];
                if (state == null) {
                    continue;
                }
                long processed = state.processed;
                if (processed > state.committed || clean) {
                    long position = Math.max(processed, state.committed);
                    kv.put(Names.positionKey(p), new Position(position, clean, incarnation).encode());
                    state.committed = position;
                }
            }
        } catch (Exception e) {
            LOG.warnf("worker %s: position commit failed (%s); will retry", instance, e.toString());
        }
    }

    @Override
    protected void dropConnection() {
        OwnedConnection l = link;
        if (l != null) {
            l.close();
        }
    }

    @Override
    protected void doStop() {
        // No new pulls; messages of a pull already under way are dropped once draining (never
        // receipted, so never committed: the next owner reads them again, no duplicate).
        for (MessageConsumer consumer : consumers) {
            consumer.stop();
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
            commit(flushed);
        }
        for (MessageConsumer consumer : consumers) {
            String serverName = consumer.getConsumerName();
            try {
                consumer.close();
                if (connection != null && serverName != null) {
                    // Ephemeral consumers also expire by themselves; deleting them now keeps a
                    // restart-heavy soak from accumulating idle consumers on the servers.
                    connection.jetStreamManagement().deleteConsumer(names.dataStream(), serverName);
                }
            } catch (Exception e) {
                LOG.debugf("consumer %s not deleted (%s); the server removes it when idle", serverName, e);
            }
        }
        consumers.clear();
        if (connection != null) {
            if (dispatcher != null) {
                connection.closeDispatcher(dispatcher);
                dispatcher = null;
            }
            connection = null;
        }
        if (link != null) {
            link.close();
            link = null;
        }
        queue.clear();
        partitions = null;
        LOG.infof("worker %s stopped (%s)", instance, flushed ? "everything flushed and committed" : "with unflushed messages; they will be redelivered");
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One owned partition. Fields are touched by the dispatcher, flusher and committer threads as noted. */
    private static final class PartitionState {
        final int partition;
        /** Stream sequences at or below this may have been processed by a previous owner. */
        final long replayUntil;
        volatile long committed;
        /** Highest stream sequence whose receipt is stored and that is acked (flusher thread writes). */
        volatile long processed;
        /** Dispatcher thread only. */
        long lastReadyAt;
        volatile MessageConsumer consumer;

        PartitionState(int partition, long committed, long replayUntil) {
            this.partition = partition;
            this.committed = committed;
            this.processed = committed;
            this.replayUntil = replayUntil;
        }
    }
}

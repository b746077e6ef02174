package io.natsoak.worker;

import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.natsoak.model.Envelope;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The partitions' ordered consumers on the worker's one dispatcher, and what the dispatcher
 * thread does with each message: count it, give it a simulated processing time and queue it for
 * the receipt flusher. One per start of the worker.
 */
final class PartitionConsumers {

    private static final Logger LOG = Logger.getLogger(PartitionConsumers.class);
    private static final int PULL_BATCH = 256;
    /** Short pulls mean frequent heartbeats, so a dead consumer is noticed and recreated within seconds. */
    private static final Duration PULL_EXPIRES = Duration.ofSeconds(5);

    private final Connection connection;
    private final Dispatcher dispatcher;
    private final Names names;
    private final PendingQueue queue;
    private final Grants grants;
    private final WorkerMetrics metrics;
    private final long delayMinNanos;
    private final long delayMaxNanos;
    /** Dispatcher thread only. */
    private long arrivals;

    PartitionConsumers(Connection connection, Names names, PendingQueue queue, Grants grants, WorkerMetrics metrics,
                       Duration processingDelayMin, Duration processingDelayMax) {
        this.connection = connection;
        this.dispatcher = connection.createDispatcher();
        this.names = names;
        this.queue = queue;
        this.grants = grants;
        this.metrics = metrics;
        this.delayMinNanos = processingDelayMin.toNanos();
        this.delayMaxNanos = processingDelayMax.toNanos();
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    /**
     * An ordered consumer (R1, memory, ephemeral) from the committed position. jnats recreates it
     * by itself, from the last delivered sequence, when its server dies or heartbeats stop, so a
     * NATS node failure neither stalls the partition nor redelivers anything.
     */
    MessageConsumer consume(PartitionState state) throws Exception {
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

    /** Stops pulling; messages already delivered may still arrive (they are counted and dropped). */
    static void stop(PartitionState state) {
        MessageConsumer c = state.consumer;
        if (c != null) {
            try {
                c.stop();
            } catch (RuntimeException e) {
                LOG.debugf("stopping consumer of partition %d: %s", state.partition, e);
            }
        }
    }

    /** Closes the consumer and deletes it on the server, unless {@code aborting} (nothing NATS must answer then). */
    void close(PartitionState state, boolean aborting) {
        MessageConsumer c = state.consumer;
        if (c == null) {
            return;
        }
        state.consumer = null;
        String serverName = c.getConsumerName();
        try {
            c.close();
            if (serverName != null && !aborting) {
                // Ephemeral consumers also expire by themselves; deleting them now keeps a
                // restart-heavy soak from accumulating idle consumers on the servers.
                connection.jetStreamManagement().deleteConsumer(names.dataStream(), serverName);
            }
        } catch (Exception e) {
            LOG.debugf("consumer %s not deleted (%s); the server removes it when idle", serverName, e);
        }
    }

    /** Runs on the dispatcher thread (one for all partitions). */
    void onMessage(PartitionState state, Message msg) {
        if (!msg.isJetStream()) {
            return;
        }
        // Counted before the accepting check, never after: a release stops accepting, then waits
        // until nothing is queued and commits clean. Counted after, a message that passed the
        // check just before the release could be receipted above that clean position, and its
        // new owner would process it again as a first delivery.
        state.taken();
        if (queue.closed() || !state.accepting) {
            state.settled(1);
            return;
        }
        try {
            enqueue(state, msg);
        } catch (RuntimeException e) {
            state.settled(1);
            throw e;
        }
    }

    private void enqueue(PartitionState state, Message msg) {
        // Back-pressure: while the flusher is behind (a receipts-stream failover), stop taking
        // messages; the pull stalls and nothing piles up in memory.
        queue.awaitRoom();
        if (!state.firstSeen) {
            state.firstSeen = true;
            grants.firstMessageConsumed(state.partition);
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
            metrics.malformed.increment();
            LOG.warnf("partition %d: stream sequence %d is not a natsoak message (%s); skipping it", state.partition, streamSeq, e.getMessage());
            sequence = -1;
            intended = 0;
        }
        if (streamSeq <= state.replayUntil) {
            delivered += 1;
            metrics.replayed.increment();
        }
        long delay = delayMaxNanos > delayMinNanos ? ThreadLocalRandom.current().nextLong(delayMinNanos, delayMaxNanos + 1) : delayMinNanos;
        long readyAt = Math.max(System.nanoTime() + delay, state.lastReadyAt);
        state.lastReadyAt = readyAt;
        queue.add(new PendingMessage(msg, state, sequence, streamSeq, delivered, intended, readyAt, arrivals++));
    }
}

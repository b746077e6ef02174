package io.natsoak.verifier;

import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.Dispatcher;
import io.nats.client.MessageConsumer;
import io.nats.client.MessageHandler;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StreamState;
import io.natsoak.nats.Names;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The verifier's reading of the receipts stream: an ordered consumer (R1, memory, ephemeral)
 * from the sequence after the verifier's position, with a watchdog.
 *
 * <p>Why no durable consumer: the verifier's position belongs to its state (see
 * {@link AppliedReceipts}) and is checkpointed with it, so a server-side ack floor would only be a
 * second record of the same thing that can disagree with the first (acked but not checkpointed:
 * lost on a crash; checkpointed but not acked: delivered again only after the ack wait). Reading
 * from the position needs no acks at all. jnats recreates an ordered consumer by itself, from the
 * last delivered sequence, when its server dies or its heartbeats stop.
 *
 * <p>Why the watchdog anyway: a pull that dies with its server can leave the reading silent for
 * a long time (the leader-kill scenario once stalled a durable consumer's reading for good). Pulls
 * expire quickly, and when nothing has arrived for {@link #STALL_AFTER} while the stream holds
 * batches after the position, the reading is closed and started again from the position. Batches
 * delivered twice that way are skipped by {@link AppliedReceipts}.
 */
final class ReceiptsFeed {

    private static final Logger LOG = Logger.getLogger(ReceiptsFeed.class);
    /** Short pulls mean heartbeats every few seconds, so jnats itself notices a lost pull soon. */
    private static final Duration PULL_EXPIRES = Duration.ofSeconds(5);
    static final Duration STALL_AFTER = Duration.ofSeconds(10);

    private final Connection connection;
    private final Dispatcher dispatcher;
    private final Names names;
    private final MessageHandler handler;
    private final LongSupplier position;
    private final LongSupplier lastArrivalMillis;
    private final LongSupplier nowMillis;
    private volatile MessageConsumer consumer;
    private volatile boolean closed = true;
    private long lastRestartMillis;
    private int restarts;

    /**
     * @param position          the receipts-stream sequence up to which batches are applied; reading starts after it
     * @param lastArrivalMillis when the handler last received a batch (the verifier tracks it)
     */
    ReceiptsFeed(Connection connection, Dispatcher dispatcher, Names names, MessageHandler handler, LongSupplier position,
                 LongSupplier lastArrivalMillis, LongSupplier nowMillis) {
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.names = names;
        this.handler = handler;
        this.position = position;
        this.lastArrivalMillis = lastArrivalMillis;
        this.nowMillis = nowMillis;
    }

    void start() throws Exception {
        Retry.within(Provisioner.START_PATIENCE, "reading the receipts stream", () -> {
            consume();
            return null;
        });
        lastRestartMillis = nowMillis.getAsLong();
        closed = false;
    }

    private void consume() throws Exception {
        OrderedConsumerConfiguration cc = new OrderedConsumerConfiguration()
                .deliverPolicy(DeliverPolicy.ByStartSequence)
                .startSequence(position.getAsLong() + 1)
                .consumerNamePrefix(names.verifierConsumer());
        OrderedConsumerContext context = connection.getStreamContext(names.receiptsStream()).createOrderedConsumer(cc);
        consumer = context.consume(ConsumeOptions.builder().batchSize(200).expiresIn(PULL_EXPIRES.toMillis()).build(),
                dispatcher, handler);
    }

    /**
     * Reporter thread: restarts the consume when it is stalled. Asks the server only after a quiet
     * spell, so a healthy feed costs nothing.
     */
    void checkStalled() {
        long now = nowMillis.getAsLong();
        long quietSince = Math.max(lastArrivalMillis.getAsLong(), lastRestartMillis);
        // Not "consumer == null": a restart whose consume failed must be tried again.
        if (closed || now - quietSince < STALL_AFTER.toMillis()) {
            return;
        }
        try {
            StreamState stream = connection.jetStreamManagement().getStreamInfo(names.receiptsStream()).getStreamState();
            long last = stream.getLastSequence();
            long applied = position.getAsLong();
            if (stream.getMsgCount() == 0 || last <= applied) {
                lastRestartMillis = now; // idle, not stalled: ask again after another quiet spell
                return;
            }
            restarts++;
            LOG.warnf("receipts feed stalled: nothing arrived for %d ms with %d receipt batch(es) waiting; restarting it after sequence %d (restart %d)",
                    now - quietSince, last - applied, applied, restarts);
            closeConsumer();
            consume();
            lastRestartMillis = now;
        } catch (Exception e) {
            // The stream's leader may still be electing: try again on the next tick.
            LOG.infof("receipts feed check failed (%s); will try again", e.toString());
        }
    }

    /** How many times the watchdog restarted the feed (reported in the log and for tests). */
    int restarts() {
        return restarts;
    }

    void close() {
        closed = true;
        closeConsumer();
    }

    private void closeConsumer() {
        MessageConsumer c = consumer;
        consumer = null;
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debugf("closing receipts consumer: %s", e);
            }
        }
    }
}

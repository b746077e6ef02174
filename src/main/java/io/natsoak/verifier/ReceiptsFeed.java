package io.natsoak.verifier;

import io.natsoak.nats.Names;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.Dispatcher;
import io.nats.client.MessageConsumer;
import io.nats.client.MessageHandler;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The verifier's durable pull consumer on the receipts stream, with a watchdog.
 *
 * <p>Why the watchdog: when the nats-server holding the consumer's leader dies, the pull request
 * waiting there dies with it. The new leader knows nothing of it, so no message and no heartbeat
 * arrives; jnats notices only after several missed heartbeats of the pull's expiry, and in our
 * leader-kill scenario it did not resume within a minute at all: every receipt after the kill
 * stayed in the stream and the verdict reported thousands of false gaps. So pulls expire quickly
 * (short heartbeats), and when nothing has arrived for {@link #STALL_AFTER} while the consumer
 * reports undelivered messages, the consume is closed and started again. The durable consumer
 * keeps its ack floor, so nothing is skipped; a batch delivered twice is dropped by the verifier's
 * batch ledger.
 */
final class ReceiptsFeed {

    private static final Logger LOG = Logger.getLogger(ReceiptsFeed.class);
    /** Short pulls mean heartbeats every few seconds, so jnats itself notices a lost pull soon. */
    private static final Duration PULL_EXPIRES = Duration.ofSeconds(5);
    static final Duration STALL_AFTER = Duration.ofSeconds(10);

    private final Connection connection;
    private final Dispatcher dispatcher;
    private final Names names;
    private final int replicas;
    private final MessageHandler handler;
    private final LongSupplier lastArrivalMillis;
    private final LongSupplier nowMillis;
    private ConsumerContext context;
    private volatile MessageConsumer consumer;
    private long lastRestartMillis;
    private int restarts;

    /**
     * @param lastArrivalMillis when the handler last received a batch (the verifier tracks it)
     */
    ReceiptsFeed(Connection connection, Dispatcher dispatcher, Names names, int replicas, MessageHandler handler,
                 LongSupplier lastArrivalMillis, LongSupplier nowMillis) {
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.names = names;
        this.replicas = replicas;
        this.handler = handler;
        this.lastArrivalMillis = lastArrivalMillis;
        this.nowMillis = nowMillis;
    }

    void start() throws Exception {
        context = Retry.within(Provisioner.START_PATIENCE, "creating the receipts consumer",
                () -> connection.getStreamContext(names.receiptsStream()).createOrUpdateConsumer(ConsumerConfiguration.builder()
                        .durable(names.verifierConsumer())
                        .ackPolicy(AckPolicy.Explicit)
                        // Short: a batch left unacknowledged by a restart comes back soon (applied ones are skipped).
                        .ackWait(Duration.ofSeconds(10))
                        .maxAckPending(10_000)
                        .numReplicas(replicas)
                        .build()));
        lastRestartMillis = nowMillis.getAsLong();
        consume();
    }

    private void consume() throws Exception {
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
        if (consumer == null || now - quietSince < STALL_AFTER.toMillis()) {
            return;
        }
        try {
            ConsumerInfo info = context.getConsumerInfo();
            if (info.getNumPending() == 0) {
                lastRestartMillis = now; // idle, not stalled: ask again after another quiet spell
                return;
            }
            restarts++;
            LOG.warnf("receipts feed stalled: nothing arrived for %d ms with %d receipt batch(es) waiting; restarting it (restart %d)",
                    now - quietSince, info.getNumPending(), restarts);
            closeConsumer();
            consume();
            lastRestartMillis = now;
        } catch (Exception e) {
            // The consumer's leader may still be electing: try again on the next tick.
            LOG.infof("receipts feed check failed (%s); will try again", e.toString());
        }
    }

    /** How many times the watchdog restarted the feed (reported in the log and for tests). */
    int restarts() {
        return restarts;
    }

    void close() {
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

package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.support.NatsKeyValueUtil;
import org.jboss.logging.Logger;

import java.io.IOException;

/**
 * A KV watch (latest value per key, then every change) on a dispatcher its caller owns.
 *
 * <p>Why not {@code KeyValue.watch}: jnats (2.23) creates a dispatcher per watch and leaks its
 * thread twice over. If creating the watch fails (a NATS node is down, the request times out),
 * the dispatcher it had already started is never closed; and {@code unsubscribe()} leaves it
 * running when the watch's ordered consumer was reset by a failover. natsoak's own outage test
 * showed a worker gaining a thread each time its partition manager recreated its watches, and
 * its thread-growth verdict failed the run. Here every watch of a component shares one
 * dispatcher created and closed by that component, so a failed or reset watch costs no thread.
 * Same semantics as jnats' watch: an ordered push consumer from the last value of each key,
 * and {@code endOfData()} once the initial values have been delivered.
 */
public final class KvWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KvWatch.class);

    private final Dispatcher dispatcher;
    private final JetStreamSubscription subscription;

    private KvWatch(Dispatcher dispatcher, JetStreamSubscription subscription) {
        this.dispatcher = dispatcher;
        this.subscription = subscription;
    }

    /** Watches every key of {@code bucket}. */
    public static KvWatch all(Connection connection, Dispatcher dispatcher, String bucket, KeyValueWatcher watcher)
            throws IOException, JetStreamApiException {
        return open(connection, dispatcher, bucket, ">", watcher);
    }

    /** Watches one key of {@code bucket}. */
    public static KvWatch key(Connection connection, Dispatcher dispatcher, String bucket, String key, KeyValueWatcher watcher)
            throws IOException, JetStreamApiException {
        return open(connection, dispatcher, bucket, key, watcher);
    }

    private static KvWatch open(Connection connection, Dispatcher dispatcher, String bucket, String key, KeyValueWatcher watcher)
            throws IOException, JetStreamApiException {
        String subject = NatsKeyValueUtil.toKeyPrefix(bucket) + key;
        PushSubscribeOptions options = PushSubscribeOptions.builder()
                .stream(NatsKeyValueUtil.toStreamName(bucket))
                .ordered(true)
                .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.LastPerSubject).build())
                .build();
        EndOfData end = new EndOfData(watcher);
        JetStreamSubscription sub = connection.jetStream().subscribe(subject, dispatcher, msg -> {
            watcher.watch(new KeyValueEntry(msg));
            end.afterMessage(msg);
        }, false, options);
        try {
            if (sub.getConsumerInfo().getCalculatedPending() == 0) {
                end.now();
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            unsubscribe(dispatcher, sub);
            throw e;
        }
        return new KvWatch(dispatcher, sub);
    }

    @Override
    public void close() {
        unsubscribe(dispatcher, subscription);
    }

    private static void unsubscribe(Dispatcher dispatcher, JetStreamSubscription sub) {
        try {
            dispatcher.unsubscribe(sub);
        } catch (RuntimeException e) {
            LOG.debugf("closing a KV watch: %s", e.toString());
        }
    }

    /** Tells {@code endOfData()} once: when the consumer says nothing more is pending, or at once for an empty bucket. */
    private static final class EndOfData {
        private final KeyValueWatcher watcher;
        private volatile boolean told;

        EndOfData(KeyValueWatcher watcher) {
            this.watcher = watcher;
        }

        void afterMessage(Message msg) {
            if (!told && msg.isJetStream() && msg.metaData().pendingCount() == 0) {
                now();
            }
        }

        synchronized void now() {
            if (!told) {
                told = true;
                watcher.endOfData();
            }
        }
    }
}

package io.natsoak.assign;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import org.jboss.logging.Logger;

import java.lang.reflect.Field;

/**
 * Closes a KV watch completely, dispatcher thread included.
 *
 * <p>Why: jnats (2.23) gives every KV watch its own dispatcher and closes it on
 * {@code unsubscribe()} only when the dispatcher has no subscription left. After the watch's
 * ordered consumer was reset by a NATS node failure, the subscription is re-registered under a new
 * id, the dispatcher still counts it, and its thread lives on: natsoak's own leader-kill scenario
 * showed three more threads per worker after each watch recreation, which its thread-growth
 * verdict (rightly) failed. So after unsubscribing, a dispatcher that jnats left open is closed
 * here. The field is jnats-internal; if a later jnats renames it, this logs one warning and the
 * leak check in the tests says so.
 */
final class WatchCloser {

    private static final Logger LOG = Logger.getLogger(WatchCloser.class);
    private static final Field DISPATCHER = dispatcherField();
    private static volatile boolean warned;

    private WatchCloser() {
    }

    static void close(Connection connection, NatsKeyValueWatchSubscription watch) {
        try {
            watch.unsubscribe();
        } catch (RuntimeException e) {
            LOG.debugf("closing a KV watch: %s", e.toString());
        }
        if (DISPATCHER == null) {
            return;
        }
        try {
            Object leftOpen = DISPATCHER.get(watch);
            if (leftOpen instanceof Dispatcher d && d.isActive()) {
                connection.closeDispatcher(d);
            }
        } catch (IllegalAccessException | RuntimeException e) {
            LOG.debugf("closing a KV watch's dispatcher: %s", e.toString());
        }
    }

    private static Field dispatcherField() {
        try {
            Field f = io.nats.client.impl.NatsWatchSubscription.class.getDeclaredField("dispatcher");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warnf("cannot reach jnats' KV watch dispatcher (%s): recreated watches may leave dispatcher threads behind", e);
            }
            return null;
        }
    }
}

package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import org.jboss.logging.Logger;

/** Turns jnats' asynchronous errors into log lines naming the connection. */
final class LoggingErrorListener implements ErrorListener {

    private static final Logger LOG = Logger.getLogger(LoggingErrorListener.class);
    private final String name;
    private final Runnable onSlowConsumer;

    LoggingErrorListener(String name, Runnable onSlowConsumer) {
        this.name = name;
        this.onSlowConsumer = onSlowConsumer;
    }

    @Override
    public void errorOccurred(Connection conn, String error) {
        LOG.warnf("%s: server error: %s", name, error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        LOG.debugf("%s: connection exception: %s", name, exp.toString());
    }

    @Override
    public void slowConsumerDetected(Connection conn, Consumer consumer) {
        LOG.warnf("%s: slow consumer detected", name);
        onSlowConsumer.run();
    }

    @Override
    public void heartbeatAlarm(Connection conn, io.nats.client.JetStreamSubscription sub, long lastStreamSequence, long lastConsumerSequence) {
        // A pull consumer stopped hearing from its server (its leader died, say); jnats pulls again.
        LOG.infof("%s: missed heartbeats on %s (last stream sequence %d); pulling again", name,
                sub == null ? "a consumer" : sub.getSubject(), lastStreamSequence);
    }
}

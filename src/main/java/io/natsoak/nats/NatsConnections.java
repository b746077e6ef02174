package io.natsoak.nats;

import io.nats.client.ConnectionListener;
import io.nats.client.Options;
import io.natsoak.config.NatsConfig;

import java.time.Duration;

/**
 * Opens NATS connections from configuration. Connections reconnect without limit (a soak must
 * ride out node restarts for hours) and are named {@code <instance>-<purpose>} so their
 * threads and server-side entries can be attributed. Credentials and TLS come from
 * {@link NatsSecurity}.
 */
public final class NatsConnections {

    private static final Duration RECONNECT_WAIT = Duration.ofMillis(500);

    private NatsConnections() {
    }

    public static Options options(NatsConfig nats, String name, ConnectionListener listener) {
        return options(nats, name, listener, () -> { });
    }

    /** @param onSlowConsumer called when the server reports this client as a slow consumer */
    public static Options options(NatsConfig nats, String name, ConnectionListener listener, Runnable onSlowConsumer) {
        Options.Builder b = new Options.Builder()
                .servers(nats.urls().stream().map(String::strip).toArray(String[]::new))
                .connectionName(name)
                .maxReconnects(-1)
                .reconnectWait(RECONNECT_WAIT)
                .connectionTimeout(nats.requestTimeout())
                .errorListener(new LoggingErrorListener(name, onSlowConsumer));
        if (listener != null) {
            b.connectionListener(listener);
        }
        NatsSecurity.apply(nats, b);
        return b.build();
    }
}

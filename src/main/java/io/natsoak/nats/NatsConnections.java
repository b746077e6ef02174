package io.natsoak.nats;

import io.natsoak.config.NatsoakConfig;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.time.Duration;

/**
 * Opens NATS connections from configuration. Connections reconnect without limit (a soak must
 * ride out node restarts for hours) and are named {@code <instance>-<purpose>} so their
 * threads and server-side entries can be attributed.
 */
public final class NatsConnections {

    private static final Duration RECONNECT_WAIT = Duration.ofMillis(500);

    private NatsConnections() {
    }

    public static Options options(NatsoakConfig.Nats nats, String name, ConnectionListener listener) {
        return options(nats, name, listener, () -> { });
    }

    /** @param onSlowConsumer called when the server reports this client as a slow consumer */
    public static Options options(NatsoakConfig.Nats nats, String name, ConnectionListener listener, Runnable onSlowConsumer) {
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
        nats.username().ifPresent(user -> b.userInfo(user, nats.password().orElse("")));
        nats.token().ifPresent(b::token);
        nats.credsFile().ifPresent(file -> b.authHandler(Nats.credentials(file)));
        NatsoakConfig.Tls tls = nats.tls();
        if (tls.enabled()) {
            tls.truststore().ifPresent(b::truststorePath);
            tls.truststorePassword().ifPresent(p -> b.truststorePassword(p.toCharArray()));
            tls.keystore().ifPresent(b::keystorePath);
            tls.keystorePassword().ifPresent(p -> b.keystorePassword(p.toCharArray()));
            if (tls.truststore().isEmpty() && tls.keystore().isEmpty()) {
                try {
                    b.secure();
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException("TLS is not available in this JVM: " + e.getMessage(), e);
                }
            }
        }
        return b.build();
    }
}

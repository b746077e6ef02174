package io.natsoak.security;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.AuthenticationException;
import io.nats.client.Connection;
import io.nats.client.NKey;
import io.natsoak.config.ConfigException;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.nats.NatsSecurity;
import io.natsoak.nats.OwnedConnection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way natsoak authenticates to NATS, against a real nats-server configured for it:
 * user/password and NKey (accounts), token, a credentials file (operator/JWT mode), TLS with the
 * servers' CA in a trust store, and mutual TLS with a client certificate. Each method is shown
 * to work with the right secret and to fail with a wrong one, through the same code path every
 * component uses ({@link OwnedConnection} from the loaded configuration).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NatsCredentialsIT {

    private static final Duration PATIENCE = Duration.ofSeconds(3);

    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = TestPki.create(dir.resolve("pki"));
    }

    private static NatsoakConfig config(String url, String... settings) {
        Map<String, String> values = new HashMap<>();
        values.put("natsoak.nats.urls", url);
        for (int i = 0; i < settings.length; i += 2) {
            values.put(settings[i], settings[i + 1]);
        }
        return ConfigLoader.fromMap(values);
    }

    /** Connects the way a component does, and proves the connection works with a round trip. */
    private static void connects(NatsoakConfig config) throws Exception {
        try (OwnedConnection link = OwnedConnection.open(config.nats(), "sectest", "it", new SimpleMeterRegistry(), PATIENCE)) {
            Connection c = link.connection();
            c.publish("natsoak.ping", new byte[]{1});
            c.flush(Duration.ofSeconds(5));
            assertThat(c.getStatus()).isEqualTo(Connection.Status.CONNECTED);
        }
    }

    private static Throwable refused(NatsoakConfig config) {
        Throwable[] caught = new Throwable[1];
        assertThatThrownBy(() -> connects(config)).satisfies(t -> caught[0] = t);
        return caught[0];
    }

    @Test
    void userPasswordAndNkeyUsersOfAnAccount() throws Exception {
        NKey nkey = NKey.createUser(null);
        Path seedFile = Files.writeString(dir.resolve("user.nk"), new String(nkey.getSeed()) + "\n");
        NKey other = NKey.createUser(null);
        Path otherSeed = Files.writeString(dir.resolve("other.nk"), new String(other.getSeed()));
        try (SecureNatsServer server = SecureNatsServer.start(dir.resolve("accounts"), """
                accounts {
                  NATSOAK {
                    users = [
                      { user: natsoak, password: "s3cret-pw" }
                      { nkey: %s }
                    ]
                  }
                }
                """.formatted(new String(nkey.getPublicKey())))) {
            connects(config(server.url(), "natsoak.nats.username", "natsoak", "natsoak.nats.password", "s3cret-pw"));
            connects(config(server.url(), "natsoak.nats.nkey-file", seedFile.toString()));

            Throwable wrongPassword = refused(config(server.url(), "natsoak.nats.username", "natsoak", "natsoak.nats.password", "wrong"));
            assertThat(wrongPassword).isInstanceOf(AuthenticationException.class)
                    .hasMessageContaining("refused the credentials").hasMessageContaining("Authorization Violation");
            assertThat(wrongPassword.getMessage()).doesNotContain("\n");
            assertThat(refused(config(server.url()))).as("no credentials at all").isInstanceOf(AuthenticationException.class);
            assertThat(refused(config(server.url(), "natsoak.nats.nkey-file", otherSeed.toString()))).as("an NKey the server does not list")
                    .isInstanceOf(AuthenticationException.class);
        }
    }

    @Test
    void token() throws Exception {
        try (SecureNatsServer server = SecureNatsServer.start(dir.resolve("token"), "authorization { token: \"t0ken-of-natsoak\" }\n")) {
            connects(config(server.url(), "natsoak.nats.token", "t0ken-of-natsoak"));
            assertThat(refused(config(server.url(), "natsoak.nats.token", "guess"))).isInstanceOf(AuthenticationException.class);
        }
    }

    @Test
    void credentialsFileInOperatorMode() throws Exception {
        OperatorMode operator = OperatorMode.create();
        Path creds = operator.userCreds(dir.resolve("natsoak.creds"), "natsoak");
        Path stranger = OperatorMode.create().userCreds(dir.resolve("stranger.creds"), "stranger");
        try (SecureNatsServer server = SecureNatsServer.start(dir.resolve("operator"), operator.serverConfig())) {
            connects(config(server.url(), "natsoak.nats.creds-file", creds.toString()));
            assertThat(refused(config(server.url(), "natsoak.nats.creds-file", stranger.toString())))
                    .as("a user of another operator").isInstanceOf(AuthenticationException.class);
        }
    }

    @Test
    void tlsWithTheServersCaInATrustStore() throws Exception {
        try (SecureNatsServer server = SecureNatsServer.start(dir.resolve("tls"), """
                tls { cert_file: "%s", key_file: "%s", timeout: 5 }
                """.formatted(pki.serverCertPem, pki.serverKeyPem))) {
            connects(config(server.url(), "natsoak.nats.tls.enabled", "true", "natsoak.nats.tls.truststore", pki.truststore.toString(),
                    "natsoak.nats.tls.truststore-password", TestPki.PASSWORD));
            assertThat(refused(config(server.url(), "natsoak.nats.tls.enabled", "true")))
                    .as("the JVM's default trust does not know the test CA").isNotNull();
            assertThat(refused(config(server.url()))).as("plain text to a TLS server").isNotNull();
        }
    }

    @Test
    void mutualTlsWithAClientCertificate() throws Exception {
        try (SecureNatsServer server = SecureNatsServer.start(dir.resolve("mtls"), """
                tls { cert_file: "%s", key_file: "%s", ca_file: "%s", verify: true, timeout: 5 }
                """.formatted(pki.serverCertPem, pki.serverKeyPem, pki.caPem))) {
            String[] trust = {"natsoak.nats.tls.enabled", "true", "natsoak.nats.tls.truststore", pki.truststore.toString(),
                    "natsoak.nats.tls.truststore-password", TestPki.PASSWORD};
            connects(config(server.url(), concat(trust, "natsoak.nats.tls.keystore", pki.clientKeystore.toString(),
                    "natsoak.nats.tls.keystore-password", TestPki.PASSWORD)));
            assertThat(refused(config(server.url(), trust))).as("no client certificate").isNotNull();
            assertThat(refused(config(server.url(), concat(trust, "natsoak.nats.tls.keystore", pki.strangerKeystore.toString(),
                    "natsoak.nats.tls.keystore-password", TestPki.PASSWORD)))).as("a certificate of an unknown CA").isNotNull();
            assertThat(server.log()).contains("TLS handshake error");
        }
    }

    @Test
    void badSecurityFilesAndCombinationsStopBeforeAnythingConnects() throws Exception {
        Path notAStore = Files.writeString(dir.resolve("not-a-store.p12"), "hello");
        String url = "nats://127.0.0.1:1";
        Map<String[], String> cases = new java.util.LinkedHashMap<>();
        cases.put(new String[]{"natsoak.nats.tls.truststore", pki.truststore.toString()},
                "natsoak.nats.tls.truststore: set while natsoak.nats.tls.enabled is false; allowed: set natsoak.nats.tls.enabled=true, or remove it");
        cases.put(new String[]{"natsoak.nats.tls.enabled", "true", "natsoak.nats.tls.truststore", pki.truststore.toString(),
                "natsoak.nats.tls.truststore-password", "wrong"}, "natsoak.nats.tls.truststore: \"" + pki.truststore
                + "\" cannot be read as a key store (wrong password); allowed: a readable PKCS12 or JKS file,"
                + " with natsoak.nats.tls.truststore-password if it has one");
        cases.put(new String[]{"natsoak.nats.tls.enabled", "true", "natsoak.nats.tls.keystore", notAStore.toString(),
                "natsoak.nats.tls.keystore-password", "x"}, "natsoak.nats.tls.keystore: \"" + notAStore + "\" cannot be read as a key store");
        cases.put(new String[]{"natsoak.nats.tls.enabled", "true", "natsoak.nats.tls.keystore", pki.clientKeystore.toString()},
                "natsoak.nats.tls.keystore: set without natsoak.nats.tls.keystore-password; allowed: both or neither (the password protects the client key)");
        cases.put(new String[]{"natsoak.nats.tls.enabled", "true", "natsoak.nats.tls.keystore", pki.truststore.toString(),
                "natsoak.nats.tls.keystore-password", TestPki.PASSWORD}, "natsoak.nats.tls.keystore: \"" + pki.truststore + "\" holds no private key");
        cases.put(new String[]{"natsoak.nats.nkey-file", pki.caPem.toString()}, "natsoak.nats.nkey-file: \"" + pki.caPem + "\" holds no NKey user seed");
        cases.put(new String[]{"natsoak.nats.creds-file", dir.resolve("none.creds").toString()},
                "natsoak.nats.creds-file: \"" + dir.resolve("none.creds") + "\" is not a readable file");
        cases.put(new String[]{"natsoak.nats.token", "t", "natsoak.nats.username", "u"},
                "natsoak.nats: username and token are all set; allowed: at most one authentication method (username/password, token, nkey-file or creds-file)");
        cases.put(new String[]{"natsoak.nats.password", "p"}, "natsoak.nats.password: set without natsoak.nats.username; allowed: both or neither");
        for (Map.Entry<String[], String> c : cases.entrySet()) {
            assertThatThrownBy(() -> NatsSecurity.checkFiles(config(url, c.getKey()).nats())).as(String.join(" ", c.getKey()))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith(c.getValue())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package io.natsoak.security;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.control.ControlClient;
import io.natsoak.control.ControlCommand;
import io.natsoak.control.ControlReply;
import io.natsoak.control.ControlSender;
import io.natsoak.control.ControlServer;
import io.natsoak.control.LeakCanary;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.Json;
import io.natsoak.producer.ProducerService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Only the chaos identity may command natsoak's components, and NATS itself enforces it: a real
 * nats-server with the accounts and permissions of docs/reliability.md ("NATS permissions").
 * A component's own identity (what a compromised or misconfigured pod has) is refused by the
 * server with a permissions violation and the component never sees the request; another
 * account cannot even reach the subjects; the chaos identity can, and its requests are carried
 * out. On top, the control server refuses requests that do not name an allowed sender.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ControlPermissionsIT {

    /** The accounts block of docs/reliability.md, with test passwords. */
    static final String SERVER_CONFIG = """
            jetstream { store_dir: "${STORE}" }
            accounts {
              NATSOAK {
                jetstream: enabled
                users = [
                  # producers, workers, verifier: everything but commanding each other
                  { user: natsoak, password: natsoak-pw,
                    permissions: { publish: { deny: ["natsoak.*.control.>"] } } }
                  # the chaos operator: control subjects, and its own inboxes for the replies
                  { user: chaos, password: chaos-pw,
                    permissions: { publish: { allow: ["natsoak.*.control.>"] }, subscribe: { allow: ["_INBOX.>"] } } }
                ]
              }
              OUTSIDER { users = [ { user: outsider, password: outsider-pw } ] }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void onlyTheChaosIdentityCanCommandAComponent() throws Exception {
        try (SecureNatsServer server = SecureNatsServer.start(dir.resolve("nats"), SERVER_CONFIG)) {
            NatsoakConfig config = ConfigLoader.fromMap(Map.of(
                    "natsoak.nats.urls", server.url(), "natsoak.nats.username", "natsoak", "natsoak.nats.password", "natsoak-pw",
                    "natsoak.nats.replicas", "1", "natsoak.run-id", "perm" + Long.toHexString(System.nanoTime()),
                    "natsoak.role", "producer", "natsoak.duration", "0", "natsoak.partitions.count", "2", "natsoak.partitions.rate", "5",
                    "natsoak.producer.count", "1"));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            ProducerService producer = new ProducerService(config, 0, registry, Clock.systemUTC());
            producer.start();
            ControlServer control = new ControlServer(config, "producer", "producer-0", Map.of(producer.name(), producer),
                    new LeakCanary(false), registry);
            control.start();
            String subject = control.instanceSubject();
            try {
                // A component's identity: the server refuses the publish; nothing reaches the control server.
                List<String> violations = new CopyOnWriteArrayList<>();
                try (Connection intruder = connect(server, "natsoak", "natsoak-pw", violations)) {
                    ControlClient client = new ControlClient(intruder, new ControlSender("chaos", "impostor"));
                    assertThatThrownBy(() -> client.request(subject, ControlCommand.of(ControlCommand.Verb.STOP), Duration.ofSeconds(2)))
                            .isInstanceOf(ControlClient.NoReplyException.class);
                    await().atMost(Duration.ofSeconds(30)).until(() -> violations.stream()
                            .anyMatch(v -> v.contains("Permissions Violation for Publish to \"" + subject + "\"")));
                }
                assertThat(producer.state()).isEqualTo(GuardedComponent.State.RUNNING);
                assertThat(requests(registry)).as("requests the control server saw").isZero();

                // Another account: the subjects do not exist there.
                try (Connection outsider = connect(server, "outsider", "outsider-pw", new CopyOnWriteArrayList<>())) {
                    assertThatThrownBy(() -> new ControlClient(outsider, new ControlSender("chaos", "outsider"))
                            .request(subject, ControlCommand.of(ControlCommand.Verb.STOP), Duration.ofSeconds(2)))
                            .isInstanceOf(ControlClient.NoReplyException.class).hasMessageContaining("no responders");
                }
                assertThat(producer.state()).isEqualTo(GuardedComponent.State.RUNNING);
                assertThat(requests(registry)).isZero();

                // The chaos identity: allowed, and carried out.
                List<String> chaosErrors = new CopyOnWriteArrayList<>();
                try (Connection chaos = connect(server, "chaos", "chaos-pw", chaosErrors)) {
                    ControlClient client = new ControlClient(chaos, new ControlSender("chaos", "natsoak-chaos-0"));
                    ControlReply status = client.request(subject, ControlCommand.of(ControlCommand.Verb.STATUS), Duration.ofSeconds(30));
                    assertThat(status.ok()).as(status.toString()).isTrue();
                    ControlReply restart = client.request(subject, ControlCommand.of(ControlCommand.Verb.RESTART), Duration.ofSeconds(60));
                    assertThat(restart.ok()).as(restart.toString()).isTrue();
                    assertThat(registry.counter(MetricNames.COMPONENT_RESTARTS, MetricNames.TAG_COMPONENT, producer.name()).count()).isEqualTo(1);
                    assertThat(producer.state()).isEqualTo(GuardedComponent.State.RUNNING);

                    // A component the process does not have: refused before anything acts or logs a restart, counted as rejected.
                    ControlReply nope = client.request(subject, new ControlCommand("restart", "nope", null, null, null), Duration.ofSeconds(30));
                    assertThat(nope.ok()).isFalse();
                    assertThat(nope.error()).startsWith("unknown component \"nope\"; allowed: all, " + producer.name());
                    assertThat(registry.counter(MetricNames.CONTROL_REQUESTS, MetricNames.TAG_OUTCOME, "rejected").count()).isEqualTo(1);
                    assertThat(registry.counter(MetricNames.CONTROL_REQUESTS, MetricNames.TAG_OUTCOME, "error").count()).isZero();
                    assertThat(registry.counter(MetricNames.COMPONENT_RESTARTS, MetricNames.TAG_COMPONENT, producer.name()).count()).isEqualTo(1);

                    // The same identity without the sender header, or naming another role: refused by the control server.
                    Message bare = chaos.request(subject, "{\"command\":\"stop\"}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30));
                    ControlReply refused = Json.MAPPER.readValue(bare.getData(), ControlReply.class);
                    assertThat(refused.ok()).isFalse();
                    assertThat(refused.error()).startsWith("unknown sender (no Natsoak-Sender header); allowed: header Natsoak-Sender:");
                    ControlReply worker = new ControlClient(chaos, new ControlSender("worker", "worker-0"))
                            .request(subject, ControlCommand.of(ControlCommand.Verb.STOP), Duration.ofSeconds(30));
                    assertThat(worker.ok()).isFalse();
                    assertThat(worker.error()).contains("Natsoak-Sender worker/worker-0");
                    assertThat(registry.counter(MetricNames.CONTROL_REQUESTS, MetricNames.TAG_OUTCOME, "unknown_sender").count()).isEqualTo(2);
                    assertThat(producer.state()).isEqualTo(GuardedComponent.State.RUNNING);

                    // Least privilege: the chaos identity cannot touch the data.
                    chaos.publish("natsoak." + config.runId() + ".data.0", new byte[]{1});
                    await().atMost(Duration.ofSeconds(30)).until(() -> chaosErrors.stream().anyMatch(e -> e.contains("Permissions Violation")));
                }
            } finally {
                control.stop();
                producer.stop();
            }
        }
    }

    private static double requests(SimpleMeterRegistry registry) {
        return registry.find(MetricNames.CONTROL_REQUESTS).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static Connection connect(SecureNatsServer server, String user, String password, List<String> errors) throws Exception {
        return Nats.connect(new Options.Builder().server(server.url()).userInfo(user, password).connectionName("test-" + user)
                .errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection conn, String error) {
                        errors.add(error);
                    }
                }).build());
    }
}

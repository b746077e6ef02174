package io.natsoak.chart;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.natsoak.nats.Names;
import io.natsoak.testing.NatsServerVersion;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The chart's NATS configuration on a real nats-server: nats-server accepts the rendered nats.conf,
 * and with the rendered auth.conf only the chaos identity can publish on natsoak's control
 * subjects, while the application identity can publish everything else. On every nats-server
 * version of the test matrix: the chart deploys the 2.14 line (values.yaml), so the rendered
 * configuration must start on a server of that age, not only on the system's 2.9.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@ParameterizedClass(name = "{0}")
@MethodSource("io.natsoak.testing.NatsServerVersion#every")
class NatsPermissionsIT {

    private static final String APP_PASSWORD = "app-secret-1";
    private static final String CHAOS_PASSWORD = "chaos-secret-2";
    private static final Names NAMES = new Names("soak");

    private static Map<String, String> natsConfig;
    private static String binary;
    private static Process server;
    private static int port;

    @BeforeAll
    static void renderTheChart() {
        List<HasMetadata> objects = HelmChart.natsoak().render().values("chaos: {enabled: true}").objects();
        natsConfig = Pods.named(objects, ConfigMap.class, "natsoak-nats-config").getData();
    }

    @Parameter
    NatsServerVersion version;

    /** Once per version: the first test of each parameterized invocation starts its server. */
    @BeforeEach
    void startServerWithTheRenderedAuthorization() throws Exception {
        if (server != null) {
            return;
        }
        binary = version.binary();
        Path dir = Files.createDirectories(Path.of("target", "nats-permissions"))
                .resolve(version.line() + "-" + System.nanoTime()).toAbsolutePath();
        Files.createDirectories(dir);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("auth.conf"), natsConfig.get("auth.conf"), StandardCharsets.UTF_8);
        // The rendered authorization, on a single loopback server (the rendered cluster routes need Kubernetes DNS).
        Files.writeString(dir.resolve("server.conf"), "listen: 127.0.0.1:" + port + "\ninclude ./auth.conf\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(binary, "-c", dir.resolve("server.conf").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nats-server.log").toFile());
        pb.environment().put("APP_PASSWORD", APP_PASSWORD);
        pb.environment().put("CHAOS_PASSWORD", CHAOS_PASSWORD);
        server = pb.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            assertThat(server.isAlive()).as("nats-server running (log: " + dir.resolve("nats-server.log") + ")").isTrue();
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @AfterParameterizedClassInvocation
    static void stopServer() throws InterruptedException {
        if (server != null) {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor();
            }
            server = null;
        }
    }

    @Test
    void natsServerAcceptsTheRenderedConfiguration(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("nats.conf"), natsConfig.get("nats.conf"), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("auth.conf"), natsConfig.get("auth.conf"), StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(binary, "-t", "-c", dir.resolve("nats.conf").toString()).redirectErrorStream(true);
        pb.environment().putAll(Map.of("POD_NAME", "natsoak-nats-0", "APP_PASSWORD", APP_PASSWORD, "CHAOS_PASSWORD", CHAOS_PASSWORD));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("nats-server -t: " + out).isZero();
        assertThat(out).contains("is valid");
    }

    @Test
    void onlyTheChaosIdentityCanPublishOnControlSubjects() throws Exception {
        String control = NAMES.controlSubject("worker", "worker-1");
        String broadcast = NAMES.controlSubject("worker");
        String data = "natsoak.soak.data.7";
        List<String> errors = new CopyOnWriteArrayList<>();
        try (Connection listener = connect("natsoak", APP_PASSWORD, errors);
             Connection app = connect("natsoak", APP_PASSWORD, errors);
             Connection chaos = connect("natsoak-chaos", CHAOS_PASSWORD, errors)) {
            // every component subscribes to its control subjects with the application identity
            Subscription controlSub = listener.subscribe("natsoak.soak.control.>");
            Subscription dataSub = listener.subscribe(data);
            listener.flush(Duration.ofSeconds(5));

            app.publish(control, "{\"command\":\"restart\"}".getBytes(StandardCharsets.UTF_8));
            app.publish(broadcast, "{\"command\":\"stop\"}".getBytes(StandardCharsets.UTF_8));
            app.publish(data, "allowed".getBytes(StandardCharsets.UTF_8));
            app.flush(Duration.ofSeconds(5));
            // the allowed message was published after the forbidden ones on the same connection:
            // once it is here, the forbidden ones would have been here before it
            Message m = dataSub.nextMessage(Duration.ofSeconds(10));
            assertThat(m).as("the application identity publishes data").isNotNull();
            assertThat(controlSub.getPendingMessageCount()).as("control messages from the application identity").isZero();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(errors)
                    .anyMatch(e -> e.contains("Permissions Violation for Publish to \"" + control + "\"")));

            chaos.publish(control, "{\"command\":\"status\"}".getBytes(StandardCharsets.UTF_8));
            chaos.flush(Duration.ofSeconds(5));
            Message fromChaos = controlSub.nextMessage(Duration.ofSeconds(10));
            assertThat(fromChaos).as("the chaos identity publishes control commands").isNotNull();
            assertThat(fromChaos.getSubject()).isEqualTo(control);
            assertThat(errors).noneMatch(e -> e.contains("\"" + control + "\"") && !e.contains("Publish"));
        }
    }

    @Test
    void componentsAnswerControlRequestsOnTheChaosOperatorsInbox() throws Exception {
        List<String> errors = new CopyOnWriteArrayList<>();
        String control = NAMES.controlSubject("verifier", "verifier-1");
        try (Connection component = connect("natsoak", APP_PASSWORD, errors);
             Connection chaos = connect("natsoak-chaos", CHAOS_PASSWORD, errors)) {
            component.createDispatcher(msg -> component.publish(msg.getReplyTo(), "{\"ok\":true}".getBytes(StandardCharsets.UTF_8)))
                    .subscribe(control);
            component.flush(Duration.ofSeconds(5));
            Message reply = chaos.request(control, "{\"command\":\"status\"}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
            assertThat(reply).isNotNull();
            assertThat(new String(reply.getData(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true}");
        }
        assertThat(errors).isEmpty();
    }

    @Test
    void wrongOrMissingCredentialsAreRefused() {
        assertThatThrownBy(() -> connect("natsoak-chaos", APP_PASSWORD, new CopyOnWriteArrayList<>()).close())
                .hasMessageContaining("Authorization Violation");
        assertThatThrownBy(() -> Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + port).maxReconnects(0)
                .connectionTimeout(Duration.ofSeconds(5)).build()).close())
                .hasMessageContaining("Authorization Violation");
    }

    private static Connection connect(String user, String password, List<String> errors) throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + port).userInfo(user, password).maxReconnects(0)
                .connectionTimeout(Duration.ofSeconds(5)).connectionName("chart-test-" + user)
                .errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection conn, String error) {
                        errors.add(error);
                    }
                }).build());
    }
}

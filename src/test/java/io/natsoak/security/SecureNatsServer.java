package io.natsoak.security;

import io.natsoak.local.HttpGet;
import io.natsoak.local.NatsCluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One real nats-server with a configuration the test writes (accounts, users, permissions, TLS,
 * operator mode): the authentication and authorization under test are the server's own. Started
 * on free loopback ports, ready once its monitoring endpoint answers, and always stopped by
 * {@link #close()}.
 */
final class SecureNatsServer implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final Process process;
    private final int port;
    private final Path log;

    private SecureNatsServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * @param dir  a directory of the test (config, log and JetStream store go there)
     * @param body the configuration after {@code listen}/{@code http}: authorization, accounts, tls, jetstream...
     */
    static SecureNatsServer start(Path dir, String body) throws IOException, InterruptedException {
        String binary = NatsCluster.findBinary(System.getProperty("natsoak.nats-server", "nats-server"))
                .orElseThrow(() -> new IllegalStateException("nats-server not found: apt-get install nats-server"));
        Files.createDirectories(dir);
        int port = freePort();
        int http = freePort();
        Path config = dir.resolve("nats.conf");
        Path log = dir.resolve("server.log");
        Files.writeString(config, "listen: 127.0.0.1:" + port + "\nhttp: 127.0.0.1:" + http + "\n"
                + body.replace("${STORE}", dir.resolve("store").toString()), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(List.of(binary, "-c", config.toString())).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        SecureNatsServer server = new SecureNatsServer(p, port, log);
        try {
            server.awaitReady(http);
        } catch (IOException | RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitReady(int http) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server exited: " + log());
            }
            if (HttpGet.status("http://127.0.0.1:" + http + "/healthz", Duration.ofSeconds(1), Duration.ofSeconds(1)) == 200) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("nats-server not ready within " + STARTUP.toSeconds() + " s: " + log());
            }
            Thread.sleep(100);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}

package io.natsoak.testing;

import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.local.LocalTopology;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A soak of real OS processes (the packaged application, one process per role) for tests that
 * crash things for real. Needs the jar: run under failsafe after {@code package}
 * ({@code -Dnatsoak.jar} points at target/quarkus-app/quarkus-run.jar).
 */
public final class ProcessSoak {

    private final Map<String, String> settings = new HashMap<>();
    private final String name;
    private NatsServerVersion natsVersion = NatsServerVersion.V2_9;

    public ProcessSoak(String name) {
        this.name = name;
        settings.put("natsoak.run-id", name + "-" + UUID.randomUUID().toString().substring(0, 6));
        settings.put("natsoak.verifier.report-interval", "1s");
        settings.put("natsoak.worker.commit-interval", "1s");
        settings.put("natsoak.producer.mark-interval", "500ms");
        settings.put("natsoak.local.keep-data", "true");
    }

    public ProcessSoak set(String key, String value) {
        settings.put(key, value);
        return this;
    }

    /** The nats-server version the soak's cluster runs (default: the system's 2.9). */
    public ProcessSoak on(NatsServerVersion version) {
        this.natsVersion = version;
        return this;
    }

    public LocalTopology topology() throws Exception {
        Path jar = Path.of(System.getProperty("natsoak.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("the packaged application is missing at " + jar + "; run ./mvnw verify");
        }
        Map<String, String> all = new HashMap<>(settings);
        all.put("natsoak.role", "local");
        NatsoakConfig config = ConfigLoader.fromMap(all);
        String natsServer = natsVersion.binary();
        Path dir = Files.createDirectories(Path.of("target", "soaks")).resolve(name + "-" + natsVersion.line() + "-" + UUID.randomUUID().toString().substring(0, 6));
        String java = ProcessHandle.current().info().command().orElse("java");
        return new LocalTopology(config, natsServer, java, jar, Files.createDirectories(dir), settings);
    }
}

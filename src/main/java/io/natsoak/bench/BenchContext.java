package io.natsoak.bench;

import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.local.LocalTopology;
import io.natsoak.local.NatsCluster;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * What every scenario needs: the java executable and application jar that role processes run
 * from, nats-server, the settings given on the command line, where results go, and the
 * smoke switch. Scenarios compose the same {@link LocalTopology} and {@link NatsCluster} that
 * {@code ./natsoak local} and the tests use.
 */
record BenchContext(String java, Path jar, String natsServer, Path out, boolean smoke, Map<String, String> overrides, PrintStream log) {

    private static final long POLL_MILLIS = 200;

    /**
     * A local topology with the scenario's settings, overridden by the command line's -D settings,
     * under a fresh run id and a fresh temporary directory (removed on close). Bad settings fail
     * here, before anything starts, with ConfigException's one line.
     */
    LocalTopology topology(String name, Map<String, String> scenarioSettings) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("natsoak.verifier.report-interval", "1s");
        settings.put("natsoak.producer.mark-interval", "500ms");
        settings.putAll(scenarioSettings);
        settings.putAll(overrides);
        settings.put("natsoak.run-id", "bench-" + name + "-" + UUID.randomUUID().toString().substring(0, 6));
        settings.remove("natsoak.role");
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put("natsoak.role", "local");
        NatsoakConfig config = ConfigLoader.fromMap(all);
        // like ./natsoak local: natsoak.local.* configures the launcher's side, not the role processes
        settings.keySet().removeIf(k -> k.startsWith("natsoak.local."));
        return new LocalTopology(config, natsServer, java, jar, Files.createTempDirectory("natsoak-bench-" + name + "-"), settings);
    }

    /**
     * Removes what a closed topology leaves in its directory (the verifier's report, which the
     * bench has already read), unless natsoak.local.keep-data asks to keep everything.
     */
    void discard(LocalTopology closed) {
        if (Boolean.parseBoolean(overrides.getOrDefault("natsoak.local.keep-data", "false"))) {
            say("kept %s", closed.workDir());
            return;
        }
        Path dir = closed.workDir();
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            say("could not remove %s: %s", dir, e.getMessage());
        }
    }

    /** A fresh 3-node cluster (natsoak.local.nodes) in a temporary directory that close() removes. */
    NatsCluster cluster(String name) throws IOException {
        int nodes = Integer.parseInt(overrides.getOrDefault("natsoak.local.nodes", "3"));
        return new NatsCluster(natsServer, Files.createTempDirectory("natsoak-bench-" + name + "-"), nodes, false);
    }

    /** A setting as the role processes will see it: the command line's, else the scenario's, else the built-in default. */
    String setting(String key, Map<String, String> scenarioSettings, String fallback) {
        return overrides.getOrDefault(key, scenarioSettings.getOrDefault(key, fallback));
    }

    /** The worker assignment a run with these settings uses (the project's default unless set), as settings spell it. */
    String assignment(Map<String, String> scenarioSettings) {
        Map<String, String> all = new LinkedHashMap<>(scenarioSettings);
        all.putAll(overrides);
        all.put("natsoak.role", "local");
        return ConfigLoader.fromMap(all).worker().assignment().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Full size, or the smoke test's tiny one. */
    <T> T size(T full, T tiny) {
        return smoke ? tiny : full;
    }

    void say(String format, Object... args) {
        log.printf("[bench] " + format + "%n", args);
    }

    /** Waits (bounded) until {@code done} is true; a timeout is a scenario failure naming {@code what}. */
    static void await(Duration timeout, String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new BenchException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}

package io.natsoak.bench;

import io.natsoak.model.Json;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code bench verifier}: JMH benchmarks of receipt ingestion and the verifier's memory, run in
 * a separate JVM ({@link VerifierBench}) on a plain class path made of the packaged
 * application's jars. Why a separate JVM: JMH forks its measurement JVMs with the class path of
 * the JVM that runs it, and {@code java -jar quarkus-run.jar} has only that one jar on its class
 * path (Quarkus' own class loader finds the others).
 */
final class VerifierScenario implements Scenario {

    private static final long TIMEOUT_MINUTES = 30;

    @Override
    public String name() {
        return "verifier";
    }

    @Override
    public Measured run(BenchContext ctx) throws Exception {
        Path json = Files.createTempFile("natsoak-bench-verifier", ".json");
        try {
            List<String> cmd = new ArrayList<>(List.of(ctx.java(), "-XX:+UseSerialGC", "-Xmx2g", "-cp", classPath(ctx.jar()),
                    VerifierBench.class.getName(), json.toString(), Boolean.toString(ctx.smoke())));
            ctx.say("verifier: JMH and memory measurement in a separate JVM");
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            try {
                if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                    throw new BenchException("the JMH run did not finish within " + TIMEOUT_MINUTES + " minutes");
                }
            } finally {
                if (p.isAlive()) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (p.exitValue() != 0) {
                throw new BenchException("the JMH run failed with exit code " + p.exitValue() + " (its output is above)");
            }
            return Json.MAPPER.readValue(json.toFile(), Measured.class);
        } finally {
            Files.deleteIfExists(json);
        }
    }

    /**
     * The application's jars next to quarkus-run.jar (app/ and lib/main/ of the fast-jar layout);
     * when not running from a packaged application (tests), this JVM's own class path.
     */
    static String classPath(Path quarkusRunJar) throws IOException {
        Path app = quarkusRunJar.toAbsolutePath().getParent();
        if (!Files.isDirectory(app.resolve("lib").resolve("main"))) {
            return System.getProperty("java.class.path");
        }
        List<String> jars = new ArrayList<>();
        for (Path dir : List.of(app.resolve("app"), app.resolve("lib").resolve("main"))) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> f.toString().endsWith(".jar")).sorted().forEach(f -> jars.add(f.toString()));
            }
        }
        return String.join(File.pathSeparator, jars);
    }
}

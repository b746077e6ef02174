package io.natsoak.observability;

import io.natsoak.local.LocalPrometheus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ./natsoak local --prometheus} as users run it (the packaged application): it prints the URL
 * of a real Prometheus that scrapes every role process with the alert rules loaded, and stops it with
 * the run; without a prometheus binary it refuses with one line before anything starts.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LocalPrometheusIT {

    private static final Pattern URL = Pattern.compile("Prometheus at (http://127\\.0\\.0\\.1:[0-9]+):");

    private static List<String> natsoak(String... args) {
        Path jar = Path.of(System.getProperty("natsoak.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void localRunWithPrometheusScrapesEveryProcessAndStopsItWithTheRun() throws Exception {
        Path out = Files.createTempFile("natsoak-local-prometheus", ".txt");
        Process launcher = new ProcessBuilder(natsoak("local", "--prometheus", "--duration", "30s",
                "-Dnatsoak.producer.count=1", "-Dnatsoak.worker.count=2", "-Dnatsoak.verifier.validation-window=10s"))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        long prometheusPid = -1;
        try {
            String url = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> urlIn(Files.readString(out, StandardCharsets.UTF_8)), Optional::isPresent).orElseThrow();
            prometheusPid = launcher.descendants().filter(p -> p.info().command().orElse("").endsWith("/prometheus"))
                    .mapToLong(ProcessHandle::pid).findFirst().orElseThrow(() -> new AssertionError("no prometheus process under the launcher"));
            PrometheusApi api = new PrometheusApi(url);
            assertThat(api.ready()).isTrue();
            // the verifier, 2 workers and 1 producer, scraped
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> api.query("sum(up{job=\"" + LocalPrometheus.JOB + "\"})").path(0).path("value").path(1).asDouble() == 4);
            assertThat(api.query("count by (role) (natsoak_threads{component=\"resources\"})")).as("natsoak's role tag kept").hasSize(3);
            long rules = 0;
            for (var g : api.get("/api/v1/rules", "data").path("groups")) {
                for (var r : g.path("rules")) {
                    assertThat(r.path("health").asText()).as(r.path("name").asText()).isNotEqualTo("err");
                    rules++;
                }
            }
            assertThat(rules).as("alert rules loaded").isEqualTo(AlertRulesTest.readYaml(ProjectFiles.path(ProjectFiles.RULES))
                    .path("groups").findValues("alert").size());

            assertThat(launcher.waitFor(4, TimeUnit.MINUTES)).as("the run ends").isTrue();
            String output = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(launcher.exitValue()).as(output).isZero();
            assertThat(output).contains("VERDICT PASS");
            assertThat(ProcessHandle.of(prometheusPid).map(ProcessHandle::isAlive).orElse(false)).as("Prometheus stopped with the run")
                    .isFalse();
            assertThat(catching(api::ready)).as("nothing answers at " + url).isFalse();
        } finally {
            if (launcher.isAlive()) {
                launcher.destroy();
                launcher.waitFor(120, TimeUnit.SECONDS);
            }
            ProcessHandle.of(prometheusPid).ifPresent(ProcessHandle::destroyForcibly);
            Files.deleteIfExists(out);
        }
    }

    @Test
    void withoutPrometheusItRefusesWithOneLineBeforeAnythingStarts() throws Exception {
        Path out = Files.createTempFile("natsoak-local-prometheus", ".txt");
        try {
            Process p = new ProcessBuilder(natsoak("local", "--prometheus", "-Dnatsoak.local.prometheus-binary=/nonexistent/prometheus"))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(2);
            assertThat(Files.readString(out, StandardCharsets.UTF_8).strip()).isEqualTo(
                    "natsoak: --prometheus: prometheus not found (natsoak.local.prometheus-binary=/nonexistent/prometheus); "
                            + "install it (Debian/Ubuntu: apt-get install prometheus) or set natsoak.local.prometheus-binary to its path");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static Optional<String> urlIn(String output) {
        Matcher m = URL.matcher(output);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private interface Check {
        boolean get() throws Exception;
    }

    private static boolean catching(Check c) {
        try {
            return c.get();
        } catch (Exception e) {
            return false;
        }
    }
}

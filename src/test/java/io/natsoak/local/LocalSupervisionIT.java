package io.natsoak.local;

import io.natsoak.model.Json;
import io.natsoak.model.Report;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
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
 * {@code ./natsoak local} supervises the verifier and the nats-server nodes the way Kubernetes
 * would: the verifier SIGKILLed from outside mid-run is started again and resumes from its
 * checkpoint, a nats-server SIGKILLed from outside is started again with its store, and the run
 * ends as a run without either would: PASS, everything published verified exactly once.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class LocalSupervisionIT {

    private static final Pattern VERIFIED = Pattern.compile("verified (\\d+) in-flight");

    @Test
    void aVerifierAndANatsServerKilledMidRunAreStartedAgainAndTheRunPasses() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "supervision-it"));
        Path report = dir.resolve("report-" + System.nanoTime() + ".json");
        Path out = dir.resolve("out-" + System.nanoTime() + ".txt");
        Path jar = Path.of(System.getProperty("natsoak.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString(),
                "local", "--duration", "75s", "--report", report.toString(), "-Dnatsoak.local.progress-interval=2s",
                "-Dnatsoak.verifier.validation-window=20s"));
        Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // Mid-run, once the verifier has verified (and so checkpointed) a good part.
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> lastVerified(out) > 1_000);
            ProcessHandle verifier = child(launcher, "run verifier").orElseThrow();
            verifier.destroyForcibly();
            await().atMost(Duration.ofSeconds(30)).until(() -> !verifier.isAlive());
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out).contains("verifier exited with code 137 (killed); restarting it"));
            await().atMost(Duration.ofSeconds(90)).until(() -> child(launcher, "run verifier").filter(v -> v.pid() != verifier.pid()).isPresent());

            ProcessHandle node = child(launcher, "nats-server").orElseThrow();
            node.destroyForcibly();
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(out).matches("(?s).*NATS node \\d died; restarting it with its data.*"));

            assertThat(launcher.waitFor(5, TimeUnit.MINUTES)).as("the run ends").isTrue();
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(report).as(stdout).exists();
            Report r = Json.read(Files.readAllBytes(report), Report.class);
            assertThat(r.verdict()).as(stdout).isEqualTo(Report.PASS);
            assertThat(r.published()).isGreaterThan(3_000);
            assertThat(r.verified()).isEqualTo(r.published());
            assertThat(r.gaps()).isZero();
            assertThat(r.inFlight()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.received()).isEqualTo(r.verified() + r.duplicates().redelivered());
            assertThat(launcher.exitValue()).isZero();
            assertThat(stdout).doesNotContain("produced no report").contains("VERDICT PASS");
        } finally {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }

    private static long lastVerified(Path out) throws IOException {
        Matcher m = VERIFIED.matcher(Files.readString(out, StandardCharsets.UTF_8));
        long last = 0;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    private static Optional<ProcessHandle> child(Process launcher, String commandPart) {
        return launcher.descendants().filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains(commandPart)).orElse(false)).findFirst();
    }
}

package io.natsoak.cli;

import io.natsoak.model.Json;
import io.natsoak.model.Report;
import io.natsoak.testing.AppProcess.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.natsoak.testing.AppProcess.natsoak;
import static org.assertj.core.api.Assertions.assertThat;

/** The packaged application's command line, as users run it: exit codes, one-line errors, a whole local soak. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CommandLineIT {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "local --profile nosuch|natsoak: natsoak.preset: \"nosuch\" is not a preset; allowed: quick, chaos-test, leak-hunt, dev, realistic, stress, extreme",
            "local -Dnatsoak.partitions.count=lots|natsoak: natsoak.partitions.count: \"lots\" is not valid; allowed: a whole number",
            "local -Dnatsoak.partitons.count=3|natsoak: natsoak.partitons.count: unknown setting; see './natsoak settings' for the known ones",
            "local --duration soon|natsoak: natsoak.duration: \"soon\" is not valid; allowed: a duration such as 500ms, 30s, 2m, 8h",
            "run boss|natsoak: natsoak.role: \"boss\" is not valid; allowed: one of producer, worker, verifier, chaos, local",
            "run worker -Dnatsoak.worker.index=9|natsoak: natsoak.worker.index: 9 is not valid; allowed: -1 to 2",
            "local --no-such-option|natsoak: Unknown option: '--no-such-option' (see --help)",
            "run worker -Dnatsoak.nats.nkey-file=/nonexistent/seed|natsoak: natsoak.nats.nkey-file: \"/nonexistent/seed\" is not a readable file; allowed: a readable file holding an NKey user seed (SU...)",
            "run worker -Dnatsoak.nats.tls.keystore=/etc/hostname|natsoak: natsoak.nats.tls.keystore: set while natsoak.nats.tls.enabled is false; allowed: set natsoak.nats.tls.enabled=true, or remove it",
    })
    void badInputExitsWithCodeTwoAndOneLine(String args, String expected) throws Exception {
        Run run = natsoak(args.split(" "));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr().strip()).isEqualTo(expected);
        assertThat(run.stdout()).isEmpty();
    }

    @Test
    void helpExplainsEveryCommand() throws Exception {
        Run run = natsoak("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.stdout()).contains("local", "run", "settings", "Exit codes");
        Run local = natsoak("local", "--help");
        assertThat(local.stdout()).contains("--profile", "--duration", "--report", "-D");
    }

    @Test
    void aQuickLocalSoakPassesAndWritesTheReport() throws Exception {
        Path report = Files.createTempDirectory("natsoak-report").resolve("r.json");
        String runId = "cli-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Run run = natsoak("local", "--profile", "quick", "--duration", "20s", "--report", report.toString(),
                "-Dnatsoak.run-id=" + runId,
                "-Dnatsoak.verifier.validation-window=10s", "-Dnatsoak.local.progress-interval=2s");
        assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isZero();
        assertThat(run.stdout()).contains("VERDICT PASS").contains("threads/RSS producer 2x");
        String json = Files.readString(report);
        for (String field : List.of("verdict", "reasons", "durationSeconds", "published", "received", "verified", "gaps", "duplicates",
                "redelivered", "unexplained", "partitions", "inFlight", "throughputPerSecond", "latencyMillis", "p50", "p99", "max")) {
            assertThat(json).contains("\"" + field + "\"");
        }
        Report r = Json.MAPPER.readValue(json, Report.class);
        assertThat(r.verdict()).isEqualTo("PASS");
        assertThat(r.published()).isPositive().isEqualTo(r.verified());
        assertThat(r.partitions()).isEqualTo(10);
        assertNoProcessLeftBehind(runId, run.stdout() + run.stderr());
    }

    /**
     * Only this run's processes: role processes carry its run id, nats-servers its data directory
     * (other soaks may be running on the same machine).
     */
    private static void assertNoProcessLeftBehind(String runId, String output) {
        java.util.regex.Matcher dir = java.util.regex.Pattern.compile("logs in (\\S+)/logs").matcher(output);
        assertThat(dir.find()).as("the launcher names its run directory: %s", output).isTrue();
        String natsDir = dir.group(1);
        long self = ProcessHandle.current().pid();
        List<String> leftovers = ProcessHandle.allProcesses()
                .filter(h -> h.pid() != self)
                .map(h -> h.info().commandLine().orElse(""))
                .filter(cmd -> cmd.contains(runId) || (cmd.contains("nats-server") && cmd.contains(natsDir)))
                .toList();
        assertThat(leftovers).isEmpty();
    }
}

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
    void anExistingDirectoryAsReportIsRefusedAndKept() throws Exception {
        Path dir = Files.createTempDirectory("natsoak-report-dir");
        Run run = natsoak("local", "--report", dir.toString(), "--duration", "10s");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr().strip()).isEqualTo("natsoak: --report " + dir + ": is a directory; allowed: the path of a file to write "
                + "the JSON report to (e.g. " + dir.resolve("report.json") + ")");
        assertThat(dir).isEmptyDirectory();
        Files.delete(dir);
    }

    @Test
    void emptyReportProfileAndNatsAreRefusedInOneLine() throws Exception {
        assertRefused(natsoak("local", "--report", ""), "natsoak: --report: empty; allowed: the path of a file to write the JSON report to");
        assertRefused(natsoak("local", "--profile", ""),
                "natsoak: --profile: empty; allowed: quick, chaos-test, leak-hunt, dev, realistic, stress, extreme");
        assertRefused(natsoak("local", "--nats", ""), "natsoak: --nats: empty; allowed: " + NATS_ALLOWED);
    }

    @Test
    void aNatsServerNatsoakCannotFetchIsRefusedInOneLine() throws Exception {
        assertRefused(natsoak("local", "--nats", "2.11"), "natsoak: --nats 2.11: not a nats-server release natsoak can fetch; allowed: "
                + NATS_ALLOWED, false);
        assertRefused(natsoak("local", "--nats", "/nonexistent/nats-server"),
                "natsoak: --nats /nonexistent/nats-server: no executable file there; allowed: " + NATS_ALLOWED, false);
    }

    /** The natsoak script passes NATSOAK_JAVA_OPTS on in the environment: it is the script's, not an unknown setting. */
    @Test
    void theScriptsJavaOptionsAreNoUnknownSetting() throws Exception {
        Run run = natsoak(java.util.Map.of("NATSOAK_JAVA_OPTS", "-Xmx256m"), "local", "--duration", "soon");
        assertRefused(run, "natsoak: natsoak.duration: \"soon\" is not valid; allowed: a duration such as 500ms, 30s, 2m, 8h");
        Run misspelt = natsoak(java.util.Map.of("NATSOAK_PARTITONS_COUNT", "5"), "local", "--duration", "soon");
        assertThat(misspelt.stderr()).contains("unknown environment variable NATSOAK_PARTITONS_COUNT");
    }

    private static final String NATS_ALLOWED = "2.9, 2.10, 2.15 (2.9.10 from Debian bookworm, 2.10.27 from Debian trixie, "
            + "2.15.1 from Debian sid) or the path of a nats-server binary";

    private static void assertRefused(Run run, String line) {
        assertRefused(run, line, true);
    }

    /** Exit code 2 and this one line; configuration errors go to stderr, the launcher's (it runs by then) to stdout. */
    private static void assertRefused(Run run, String line, boolean onStderr) {
        assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isEqualTo(2);
        assertThat((onStderr ? run.stderr() : run.stdout()).strip()).isEqualTo(line);
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
        // The NATS it was judged on: the servers the verifier's connection was on, and both streams' settings and placement.
        assertThat(r.nats()).isNotNull();
        assertThat(r.nats().servers()).isNotEmpty().allSatisfy(server -> {
            assertThat(server.name()).matches("n[0-2]");
            assertThat(server.version()).matches("\\d+\\.\\d+\\.\\d+");
        });
        assertThat(r.nats().streams()).extracting(Report.NatsStream::role).containsExactly("data", "receipts");
        assertThat(r.nats().streams()).allSatisfy(stream -> {
            assertThat(stream.replicas()).isEqualTo(3);
            assertThat(stream.storage()).isEqualTo("file");
            assertThat(stream.nodes()).containsExactlyInAnyOrder("n0", "n1", "n2").startsWith(stream.leader());
        });
        assertThat(run.stdout()).containsPattern("starting a 3-node NATS JetStream cluster of nats-server \\d+\\.\\d+\\.\\d+ \\(/")
                .containsPattern("NATS nodes \\(each node's /varz\\): n0 \\d+\\.\\d+\\.\\d+ sync_\\w+.*, n1 .*, n2 ")
                .contains("NATS the verifier judged: its connection was on n", "; data stream NATSOAK_" + runId + "_DATA R3 file on n");
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

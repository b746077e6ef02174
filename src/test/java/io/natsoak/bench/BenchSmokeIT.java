package io.natsoak.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.natsoak.model.Json;
import io.natsoak.testing.AppProcess.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.natsoak.testing.AppProcess.natsoak;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every bench scenario at tiny sizes ({@code --smoke}), through the packaged application's
 * command line, so the command cannot rot. Benchmarks are not tests: nothing here checks a
 * figure's size, only that each scenario runs, prints its table and writes its JSON.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class BenchSmokeIT {

    @ParameterizedTest(name = "bench {0} --smoke")
    @ValueSource(strings = {"raw", "pipeline", "verifier", "recovery", "footprint", "scale"})
    void eachScenarioRunsPrintsItsTableAndWritesItsJson(String scenario) throws Exception {
        Path dir = Files.createTempDirectory("bench-smoke");
        try {
            checkScenario(scenario, dir);
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static void checkScenario(String scenario, Path dir) throws Exception {
        Run run = natsoak("bench", scenario, "--smoke", "--out", dir.toString());
        assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isZero();
        assertThat(run.stdout()).contains("== bench " + scenario, "machine: ", "command: ./natsoak bench " + scenario + " --smoke",
                "figure", "limited by");
        JsonNode json = Json.MAPPER.readTree(dir.resolve(scenario + ".json").toFile());
        assertThat(json.get("scenario").asText()).isEqualTo(scenario);
        assertThat(json.get("smoke").asBoolean()).isTrue();
        assertThat(json.get("machine").get("cores").asInt()).isPositive();
        assertThat(json.get("conditions").has("othersPercent")).isTrue();
        assertThat(json.get("figures")).isNotEmpty();
        for (JsonNode f : json.get("figures")) {
            assertThat(f.get("name").asText()).isNotBlank();
            assertThat(f.get("unit").asText()).isNotBlank();
            assertThat(f.get("value").isNumber()).as(f.toString()).isTrue();
        }
        if (scenario.equals("pipeline")) {
            // the third raw reference: publishing with message ids, as natsoak's producer must
            assertThat(json.get("details").get("rawOrderedWithMessageIds").get("publishing").get("messageIds").asBoolean()).isTrue();
            assertThat(run.stdout()).contains("pipeline / raw with message ids", "per partition, with message ids: end to end");
        }
    }

    @Test
    void rawPublishesWithTheGivenWindowAndMessageIdsAndRecordsThemInItsCommand() throws Exception {
        Path dir = Files.createTempDirectory("bench-smoke");
        try {
            Run run = natsoak("bench", "raw", "--smoke", "--publish-window", "8", "--message-ids", "--out", dir.toString());
            assertThat(run.exitCode()).as(run.stderr()).isZero();
            assertThat(run.stdout()).contains("8 PubAcks outstanding, with message ids", "consumer per partition, with message ids: end to end",
                    "command: ./natsoak bench raw --smoke --publish-window=8 --message-ids");
        } finally {
            deleteTree(dir);
        }
    }

    @Test
    void rawRunsOnTheNatsServerReleaseItIsGiven() throws Exception {
        Path dir = Files.createTempDirectory("bench-smoke");
        try {
            Run run = natsoak("bench", "raw", "--smoke", "--nats", "2.15", "--out", dir.toString());
            assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isZero();
            assertThat(run.stdout()).contains("bench: nats-server 2.15.1 (", "nats-server 2.15.1", "command: ./natsoak bench raw --smoke --nats=2.15");
            JsonNode json = Json.MAPPER.readTree(Files.readAllBytes(dir.resolve("raw.json")));
            assertThat(json.toString()).contains("2.15.1");
        } finally {
            deleteTree(dir);
        }
    }

    @Test
    void anUnknownScenarioOrBadOptionIsOneLineAndExitCodeTwo() throws Exception {
        Run unknown = natsoak("bench", "speed");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr().strip()).isEqualTo("natsoak: bench: unknown scenario 'speed'; allowed: raw, pipeline, verifier, recovery, "
                + "footprint, scale or all (see --help)");
        Run kills = natsoak("bench", "recovery", "--kills", "0");
        assertThat(kills.exitCode()).isEqualTo(2);
        assertThat(kills.stderr().strip()).isEqualTo("natsoak: bench: --kills: 0 is not valid; allowed: 1 or more (see --help)");
        Run window = natsoak("bench", "raw", "--publish-window", "-3");
        assertThat(window.exitCode()).isEqualTo(2);
        assertThat(window.stderr().strip()).isEqualTo("natsoak: bench: --publish-window: -3 is not valid; allowed: 1 or more (see --help)");
        Run setting = natsoak("bench", "raw", "-Dnatsoak.partitons.count=3");
        assertThat(setting.exitCode()).isEqualTo(2);
        assertThat(setting.stderr().strip()).isEqualTo("natsoak: natsoak.partitons.count: unknown setting; see './natsoak settings' for the known ones");
        Run nats = natsoak("bench", "raw", "--nats", "2.13");
        assertThat(nats.exitCode()).isEqualTo(2);
        assertThat(nats.stderr().strip()).startsWith("natsoak: --nats 2.13: not a nats-server release natsoak can fetch; allowed: 2.9, 2.10, 2.15")
                .doesNotContain("\n");
    }
}

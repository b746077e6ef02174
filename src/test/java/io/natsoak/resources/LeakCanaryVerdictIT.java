package io.natsoak.resources;

import io.natsoak.local.LocalTopology;
import io.natsoak.control.ControlClient;
import io.natsoak.control.ControlSender;
import io.natsoak.model.Json;
import io.natsoak.nats.Names;
import io.natsoak.testing.ProcessSoak;
import io.natsoak.verifier.Report;
import io.nats.client.Connection;
import io.nats.client.Nats;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The resource-growth verdict against real processes: the leak canary of one worker, switched on
 * over the real control plane after the warm-up, makes the final verdict FAIL on thread growth of
 * that worker, while the pipeline itself is fine (nothing lost, published == verified). The
 * control run without a leak is {@code PrometheusScrapeIT}'s run, whose verdict must PASS.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LeakCanaryVerdictIT {

    @Test
    void aLeakingWorkerFailsTheVerdictOnThreadGrowthAndNothingElse() throws Exception {
        ProcessSoak spec = new ProcessSoak("leakverdict")
                .set("natsoak.partitions.count", "6").set("natsoak.partitions.rate", "10")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "60s").set("natsoak.verifier.validation-window", "10s")
                .set("natsoak.resources.warm-up", "15s").set("natsoak.resources.sample-interval", "2s")
                .set("natsoak.control.leak-canary", "true");
        long started = System.nanoTime();
        try (LocalTopology t = spec.topology()) {
            t.start();
            // The workers' warm-up is over once the verifier judges them.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> t.liveReport()
                    .map(Report::resources).map(r -> r.get("worker")).map(w -> w.threads() != null && w.threads().judged())
                    .orElse(false));
            Report live = t.liveReport().orElseThrow();
            assertThat(live.resources()).containsKeys("producer", "worker", "verifier");
            String runId = live.runId();
            try (Connection c = Nats.connect(String.join(",", t.cluster().clientUrls()))) {
                JsonNode reply = request(c, new Names(runId).controlSubject("worker", "worker-0"),
                        "{\"command\":\"leak\",\"threadsPerMinute\":300}");
                assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isTrue();
            }
            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1)).until(() -> !t.verifier().isAlive());
            Report r = t.finalReport().orElseThrow(() -> new AssertionError("no final report; see " + t.verifier().log()));
            System.out.printf("leak run: %s in %d s; reasons %s; worker threads %s%n", r.verdict(),
                    (System.nanoTime() - started) / 1_000_000_000L, r.reasons(), r.resources().get("worker").threads());

            assertThat(r.verdict()).isEqualTo(Report.FAIL);
            assertThat(r.reasons()).anyMatch(reason -> reason.startsWith("threads of worker-0 grew "));
            assertThat(r.reasons()).as("only the leaking worker fails, and only on resources")
                    .allMatch(reason -> reason.contains(" of worker-0 grew "));
            Report.Growth threads = r.resources().get("worker").threads();
            assertThat(threads.instance()).isEqualTo("worker-0");
            assertThat(threads.crossed()).isTrue();
            assertThat(threads.end() - threads.baseline()).as("leaked threads").isGreaterThan(50);
            assertThat(threads.slopePerHour()).isPositive();
            assertThat(r.resources().get("producer").threads().crossed()).isFalse();
            assertThat(r.resources().get("verifier").threads().crossed()).isFalse();
            // the pipeline itself is fine
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.published()).isPositive();
            assertThat(r.verified()).isEqualTo(r.published());
        }
    }

    /** Request/reply as the chaos operator sends it ("no responders" is retried by the client). */
    private static JsonNode request(Connection c, String subject, String json) throws Exception {
        ControlClient client = new ControlClient(c, new ControlSender("chaos", "test"));
        return Json.MAPPER.readTree(client.request(subject, json.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10)));
    }
}

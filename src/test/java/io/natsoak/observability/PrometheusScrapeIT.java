package io.natsoak.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.natsoak.local.LocalTopology;
import io.natsoak.local.RoleProcess;
import io.natsoak.testing.ProcessSoak;
import io.natsoak.verifier.Report;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus (the Debian package's {@code /usr/bin/prometheus}) scrapes every process of a
 * real local run, with the alert rules loaded: the rules are healthy, every dashboard expression
 * executes, and the ones on metrics a local run exports return data. The same run is the control
 * run of {@code LeakCanaryVerdictIT}: without a leak its verdict, resource growth included, is PASS.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PrometheusScrapeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SCRAPING = Duration.ofSeconds(35);

    /** Metrics that cannot exist in a local run: their queries must execute, and may be empty. */
    private static final Map<String, String> ABSENT_LOCALLY = Map.of(
            "gnatsd_", "the NATS exporter (prometheus-nats-exporter) is not part of a local run",
            "jetstream_", "the NATS exporter (prometheus-nats-exporter) is not part of a local run",
            "natsoak_chaos_", "no chaos operator runs locally",
            "natsoak_assign_", "the partition manager (assign) is not wired into the roles yet",
            "natsoak_recovery_", "recovery durations are measured by the chaos operator",
            "container_", "cAdvisor metrics exist only in Kubernetes",
            "ALERTS", "no alert fires in a healthy 35 s run");

    /** Metrics a local run exports: a plain selector on each must return series. */
    private static final List<String> EXPORTED = List.of("natsoak_threads", "natsoak_process_rss_bytes",
            "natsoak_verifier_published", "natsoak_verifier_verified", "natsoak_verifier_in_flight", "natsoak_verifier_gaps",
            "natsoak_verifier_duplicates", "natsoak_verifier_verdict", "natsoak_verifier_latency_seconds_bucket",
            "natsoak_producer_published_total", "natsoak_worker_processed_total", "natsoak_worker_receipt_batches_total",
            "natsoak_component_restarts_total", "natsoak_nats_connection_events_total", "jvm_threads_live_threads",
            "jvm_memory_used_bytes", "jvm_memory_max_bytes", "jvm_buffer_memory_used_bytes", "jvm_gc_live_data_size_bytes",
            "process_start_time_seconds", "process_uptime_seconds", "up");

    /**
     * Dashboard expressions on exported metrics that are empty by nature in a short, healthy run
     * (key: "file panel 'title'"), with the reason.
     */
    private static final Map<String, String> EMPTY_BY_NATURE = Map.of(
            "leak-watch.json panel 'Thread growth over 6 h' target 0", "compares with 6 h ago (offset 6h): no sample is that old",
            "leak-watch.json panel 'Threads per component, change over 6 h' target 0",
            "compares with 6 h ago (offset 6h): no sample is that old");

    private static Process prometheus;

    @AfterAll
    static void stopPrometheus() {
        stop(prometheus);
    }

    private static void stop(Process p) {
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    @Test
    void everyDashboardQueryAndEveryRuleWorksOnARealScrapeOfALocalRun() throws Exception {
        Path binary = Path.of("/usr/bin/prometheus");
        assertThat(binary).as("the Debian package prometheus (scripts/install-test-deps)").isExecutable();
        ProcessSoak spec = new ProcessSoak("promscrape")
                .set("natsoak.partitions.count", "6").set("natsoak.partitions.rate", "10")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "50s").set("natsoak.verifier.validation-window", "10s")
                .set("natsoak.resources.warm-up", "15s").set("natsoak.resources.sample-interval", "2s");
        long started = System.nanoTime();
        try (LocalTopology t = spec.topology()) {
            t.start();
            List<RoleProcess> processes = t.processes();
            int port = freePort();
            Path dir = Files.createDirectories(Path.of("target", "prometheus-it", UUID.randomUUID().toString().substring(0, 8)))
                    .toAbsolutePath();
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - %s
                    scrape_configs:
                      - job_name: natsoak
                        metrics_path: /q/metrics
                        static_configs:
                          - targets: [%s]
                    """.formatted(ProjectFiles.path(ProjectFiles.RULES),
                    processes.stream().map(p -> "'127.0.0.1:" + p.httpPort() + "'").collect(Collectors.joining(", "))));
            try {
                prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
                Api api = new Api("http://127.0.0.1:" + port);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                        .until(() -> api.get("/-/ready").statusCode() == 200);
                // every role process scraped successfully
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                        .until(() -> api.query("sum(up)").path(0).path("value").path(1).asDouble() == processes.size());
                Thread.sleep(SCRAPING.toMillis());

                checkRules(api);
                List<String> names = new ArrayList<>();
                api.get("/api/v1/label/__name__/values", "data").forEach(n -> names.add(n.asText()));
                assertThat(names).as("metric names Prometheus scraped").containsAll(EXPORTED);
                for (String metric : EXPORTED) {
                    assertThat(api.query(metric)).as("series of %s", metric).isNotEmpty();
                }
                assertThat(api.query("natsoak_threads{component=\"resources\"} > 0")).as("the resource sampler's thread, per process")
                        .hasSize(processes.size());

                Map<String, String> expressions = expressions();
                List<String> unexpectedlyEmpty = new ArrayList<>();
                int withData = 0;
                int emptyAsExpected = 0;
                for (Map.Entry<String, String> e : expressions.entrySet()) {
                    String promql = substitute(e.getValue());
                    JsonNode result = api.query(promql); // fails on any error
                    if (!result.isEmpty()) {
                        withData++;
                    } else if (absentReason(promql) == null && !EMPTY_BY_NATURE.containsKey(e.getKey())) {
                        unexpectedlyEmpty.add(e.getKey() + ": " + promql);
                    } else {
                        emptyAsExpected++;
                    }
                }
                System.out.printf("prometheus: %d dashboard expressions executed, %d returned data, %d empty as expected%n",
                        expressions.size(), withData, emptyAsExpected);
                assertThat(unexpectedlyEmpty).as("dashboard expressions on metrics a local run exports, without data").isEmpty();
            } finally {
                stop(prometheus);
            }

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> !t.verifier().isAlive());
            Report r = t.finalReport().orElseThrow(() -> new AssertionError("no final report; see " + t.verifier().log()));
            System.out.printf("control run: %s in %d s; resources %s%n", r.verdict(), (System.nanoTime() - started) / 1_000_000_000L,
                    r.resources());
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo(Report.PASS);
            assertThat(r.verified()).isEqualTo(r.published());
            assertThat(r.resources()).containsKeys("producer", "worker", "verifier");
            r.resources().forEach((role, rr) -> assertThat(rr.threads().judged()).as(role + " judged").isTrue());
        }
    }

    private static void checkRules(Api api) throws Exception {
        int inFile = countRules(ProjectFiles.read(ProjectFiles.RULES));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            JsonNode groups = api.get("/api/v1/rules", "data").path("groups");
            List<String> unhealthy = new ArrayList<>();
            int rules = 0;
            for (JsonNode g : groups) {
                for (JsonNode rule : g.path("rules")) {
                    rules++;
                    if (!rule.path("health").asText().equals("ok")) {
                        unhealthy.add(rule.path("name").asText() + ": " + rule.path("health").asText() + " " + rule.path("lastError").asText());
                    }
                }
            }
            assertThat(rules).as("rules loaded").isEqualTo(inFile);
            assertThat(unhealthy).as("rules not healthy").isEmpty();
        });
    }

    private static int countRules(String yaml) {
        Matcher m = Pattern.compile("(?m)^\\s*-\\s*(alert|record):").matcher(yaml);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** The reason a query may be empty in a local run, or null. */
    private static String absentReason(String promql) {
        for (String name : PromQl.metricNames(promql)) {
            for (Map.Entry<String, String> e : ABSENT_LOCALLY.entrySet()) {
                if (name.startsWith(e.getKey())) {
                    return e.getValue();
                }
            }
        }
        return null;
    }

    /** Grafana's variables as a local run needs them. */
    static String substitute(String expr) {
        return expr
                .replaceAll("\\$\\{varz_prefix}|\\$varz_prefix\\b", "gnatsd")
                .replaceAll("\\$\\{jsz_prefix}|\\$jsz_prefix\\b", "jetstream")
                .replaceAll("\\$\\{?__rate_interval}?", "1m")
                .replaceAll("\\$\\{?__interval(_ms|_s)?}?", "15s")
                .replaceAll("\\$\\{?__range(_ms|_s)?}?", "1m")
                .replaceAll("\\$\\{[A-Za-z0-9_:]+}|\\$[A-Za-z_][A-Za-z0-9_]*", ".*");
    }

    /** Every PromQL expression of every dashboard (the same walk as DashboardsTest). */
    private static Map<String, String> expressions() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(ProjectFiles.path(ProjectFiles.DASHBOARDS))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.putAll(DashboardsTest.expressionsOf(f.getFileName().toString(), JSON.readTree(f.toFile())));
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The Prometheus HTTP API. */
    private record Api(String base) {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

        HttpResponse<String> get(String path) throws Exception {
            return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        JsonNode get(String path, String field) throws Exception {
            HttpResponse<String> r = get(path);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.path("status").asText()).as(path + " -> " + r.body()).isEqualTo("success");
            return body.path(field);
        }

        /** An instant query's result vector (or scalar); fails on any error. */
        JsonNode query(String promql) throws Exception {
            JsonNode data = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8), "data");
            JsonNode result = data.path("result");
            return data.path("resultType").asText().equals("scalar") || data.path("resultType").asText().equals("string")
                    ? JSON.createArrayNode().add(result) : result;
        }
    }
}

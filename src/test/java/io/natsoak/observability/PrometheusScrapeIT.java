package io.natsoak.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.natsoak.local.LocalPrometheus;
import io.natsoak.local.LocalTopology;
import io.natsoak.local.RoleProcess;
import io.natsoak.model.Report;
import io.natsoak.testing.ProcessSoak;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus (the Debian package's {@code /usr/bin/prometheus}, started by {@link LocalPrometheus}
 * as {@code ./natsoak local --prometheus} does) scrapes every process of a real local run, with the
 * alert rules loaded: the rules are healthy, every dashboard expression executes, and the ones on
 * metrics a local run exports return data; Prometheus is gone after stop. The same run is the control
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
            "natsoak_chaos_", "no chaos operator runs in this run",
            "container_", "cAdvisor metrics exist only in Kubernetes",
            "ALERTS", "no alert fires in a healthy 35 s run");

    /** Metrics a local run exports: a plain selector on each must return series. */
    private static final List<String> EXPORTED = List.of("natsoak_threads", "natsoak_process_rss_bytes",
            "natsoak_verifier_published", "natsoak_verifier_verified", "natsoak_verifier_in_flight", "natsoak_verifier_gaps",
            "natsoak_verifier_duplicates", "natsoak_verifier_verdict", "natsoak_verifier_latency_seconds_bucket",
            "natsoak_producer_published_total", "natsoak_worker_processed_total", "natsoak_worker_receipt_batches_total",
            "natsoak_component_restarts_total", "natsoak_nats_connection_events_total", "jvm_threads_live_threads",
            "jvm_memory_used_bytes", "jvm_memory_max_bytes", "jvm_buffer_memory_used_bytes", "jvm_gc_live_data_size_bytes",
            "jvm_gc_pause_seconds_count",
            "process_start_time_seconds", "process_uptime_seconds", "up", "natsoak_assign_partitions", "natsoak_assign_leader",
            "natsoak_assign_assignment_version", "natsoak_assign_rebalances_total", "natsoak_recovery_duration_seconds_bucket",
            "natsoak_assign_pending", "natsoak_assign_handoff_seconds_count", "natsoak_assign_partition_recovery_seconds_bucket",
            "natsoak_assign_recovery_incomplete_total", "natsoak_assign_fenced_total", "natsoak_assign_evictions_total");

    /**
     * Dashboard expressions on exported metrics that are empty by nature in a short, healthy run
     * (key: "file panel 'title'"), with the reason.
     */
    private static final Map<String, String> EMPTY_BY_NATURE = Map.of(
            "leak-watch.json panel 'Thread growth over 6 h' target 0", "compares with 6 h ago (offset 6h): no sample is that old",
            "leak-watch.json panel 'Threads per component, change over 6 h' target 0",
            "compares with 6 h ago (offset 6h): no sample is that old");

    @Test
    void everyDashboardQueryAndEveryRuleWorksOnARealScrapeOfALocalRun() throws Exception {
        ProcessSoak spec = new ProcessSoak("promscrape")
                .set("natsoak.partitions.count", "6").set("natsoak.partitions.rate", "10")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                // the partition manager, so that its metrics (assignment, leader, recovery histogram) are scraped too
                .set("natsoak.worker.assignment", "weighted-consistent-hash")
                // until stopped: the checks take as long as the machine needs, then the run ends as Ctrl-C ends it
                .set("natsoak.duration", "0").set("natsoak.verifier.validation-window", "10s")
                .set("natsoak.resources.warm-up", "15s").set("natsoak.resources.sample-interval", "2s");
        long started = System.nanoTime();
        try (LocalTopology t = spec.topology()) {
            t.start();
            List<RoleProcess> processes = t.processes();
            LocalPrometheus prometheus = Scraping.start(t, Duration.ofSeconds(1));
            try {
                PrometheusApi api = new PrometheusApi(prometheus.url());
                // Every process is scraped, so its GC metrics are bound. A short, slow run in a
                // pre-touched 256 MiB heap may see no collection at all, and Micrometer creates
                // jvm_gc_pause_seconds at the first one: the GC panels need one in every process.
                processes.forEach(PrometheusScrapeIT::collectGarbage);
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
                Scraping.stop(prometheus);
            }

            Report r = t.finish().orElseThrow(() -> new AssertionError("no final report; see " + t.verifier().log()));
            System.out.printf("control run: %s in %d s; resources %s%n", r.verdict(), (System.nanoTime() - started) / 1_000_000_000L,
                    r.resources());
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo(Report.PASS);
            assertThat(r.verified()).isEqualTo(r.published());
            assertThat(r.resources()).containsKeys("producer", "worker", "verifier");
            r.resources().forEach((role, rr) -> assertThat(rr.threads().judged()).as(role + " judged").isTrue());
        }
    }

    /** A full collection in the process, as an operator would ask for one: {@code jcmd PID GC.run}. */
    private static void collectGarbage(RoleProcess p) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(gc.waitFor(30, TimeUnit.SECONDS)).as("jcmd GC.run on %s finished", p.name()).isTrue();
            assertThat(gc.exitValue()).as("jcmd %d GC.run on %s", p.pid(), p.name()).isZero();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + jcmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while " + p.name() + " collected garbage", e);
        }
    }

    private static void checkRules(PrometheusApi api) throws Exception {
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
}

package io.natsoak.observability;

import io.natsoak.assign.AssignMetricNames;
import io.natsoak.metrics.MetricNames;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/metrics.md lists every metric natsoak defines and every metric the dashboards and rules rely on. */
class MetricCatalogueTest {

    private final MetricCatalogue catalogue = MetricCatalogue.load();

    /** The metrics issue 6 names (Prometheus exposition names), with their types. */
    private static final List<String> REQUIRED = List.of(
            "natsoak_producer_published_total counter",
            "natsoak_producer_publish_retries_total counter",
            "natsoak_worker_processed_total counter",
            "natsoak_worker_replayed_total counter",
            "natsoak_worker_receipt_batches_total counter",
            "natsoak_verifier_published gauge",
            "natsoak_verifier_verified gauge",
            "natsoak_verifier_in_flight gauge",
            "natsoak_verifier_gaps gauge",
            "natsoak_verifier_duplicates gauge",
            "natsoak_verifier_verdict gauge",
            "natsoak_verifier_latency_seconds histogram",
            "natsoak_threads gauge",
            "natsoak_process_rss_bytes gauge",
            "natsoak_component_restarts_total counter",
            "natsoak_component_ignored_starts_total counter",
            "natsoak_nats_connection_events_total counter",
            "natsoak_chaos_events_total counter",
            "natsoak_recovery_duration_seconds histogram",
            "natsoak_assign_rebalances_total counter",
            "natsoak_assign_leader gauge",
            "natsoak_assign_assignment_version gauge",
            "natsoak_assign_partitions gauge",
            "jvm_threads_live_threads gauge",
            "jvm_threads_peak_threads gauge",
            "jvm_threads_daemon_threads gauge",
            "jvm_memory_used_bytes gauge",
            "jvm_memory_max_bytes gauge",
            "jvm_gc_live_data_size_bytes gauge",
            "jvm_memory_usage_after_gc gauge",
            "jvm_buffer_memory_used_bytes gauge",
            "jvm_gc_pause_seconds summary",
            "process_start_time_seconds gauge",
            "process_uptime_seconds gauge");

    @Test
    void listsEveryRequiredMetricWithItsType() {
        for (String entry : REQUIRED) {
            String[] parts = entry.split(" ");
            assertThat(catalogue.entries()).as("docs/metrics.md catalogue").containsKey(parts[0]);
            assertThat(catalogue.entries().get(parts[0]).name().toLowerCase()).as(parts[0] + " type").isEqualTo(parts[1]);
        }
    }

    @Test
    void countersEndInTotalAndOthersDoNot() {
        catalogue.entries().forEach((name, type) -> {
            if (name.startsWith("natsoak_") || name.startsWith("jvm_") || name.startsWith("process_")) {
                assertThat(name.endsWith("_total")).as(name + " is a " + type).isEqualTo(type == MetricCatalogue.Type.COUNTER);
            }
        });
    }

    /** A meter added to MetricNames (or the partition manager's AssignMetricNames) without a catalogue entry fails here. */
    @Test
    void listsEveryMeterOfMetricNames() throws IllegalAccessException {
        int meters = 0;
        for (Class<?> names : List.of(MetricNames.class, AssignMetricNames.class)) {
            for (Field f : names.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || f.getType() != String.class) {
                    continue;
                }
                String micrometer = (String) f.get(null);
                if (!micrometer.startsWith("natsoak.")) {
                    continue; // a tag key or tag value
                }
                String base = micrometer.replace('.', '_');
                meters++;
                boolean listed = catalogue.names().stream().anyMatch(n -> n.equals(base) || n.startsWith(base + "_"));
                assertThat(listed).as(names.getSimpleName() + "." + f.getName() + " (" + micrometer + ") must be in docs/metrics.md as "
                        + base + "[_unit][_total]").isTrue();
            }
        }
        assertThat(meters).isPositive();
    }
}

package io.natsoak.observability;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** The name scanner the rule and dashboard tests rely on, including the negative controls. */
class PromQlTest {

    private final MetricCatalogue catalogue = MetricCatalogue.load();
    private final Predicate<String> counterLike = catalogue::isCounterLike;

    @Test
    void flagsRateOfAGauge() {
        // the negative control: this is the mistake the old tool made
        assertThat(PromQl.counterFunctionsOnGauges("rate(jvm_threads_live_threads[5m])", counterLike))
                .containsExactly("rate(jvm_threads_live_threads)");
    }

    @Test
    void flagsEveryCounterFunctionOnGaugesWhereverItHides() {
        assertThat(PromQl.counterFunctionsOnGauges("irate(natsoak_process_rss_bytes{role=\"worker\"}[1m])", counterLike))
                .containsExactly("irate(natsoak_process_rss_bytes)");
        assertThat(PromQl.counterFunctionsOnGauges(
                "sum by (instance) (increase(jvm_gc_live_data_size_bytes[1h])) > 0 and rate(natsoak_producer_published_total[5m]) > 0",
                counterLike)).containsExactly("increase(jvm_gc_live_data_size_bytes)");
        assertThat(PromQl.counterFunctionsOnGauges("rate(sum(natsoak_verifier_verified)[5m:1m])", counterLike))
                .containsExactly("rate(natsoak_verifier_verified)");
        assertThat(PromQl.counterFunctionsOnGauges("rate(jvm_gc_pause_seconds_max[5m])", counterLike))
                .containsExactly("rate(jvm_gc_pause_seconds_max)");
        assertThat(PromQl.counterFunctionsOnGauges("rate(${jsz_prefix}_consumer_num_pending[$__rate_interval])", counterLike))
                .containsExactly("rate(jetstream_consumer_num_pending)");
        // an uncatalogued name without a counter suffix counts as a gauge
        assertThat(PromQl.counterFunctionsOnGauges("rate(some_unknown_level[5m])", counterLike))
                .containsExactly("rate(some_unknown_level)");
    }

    @Test
    void acceptsCounterFunctionsOnCountersAndGaugeFunctionsOnGauges() {
        for (String clean : new String[] {
                "rate(natsoak_producer_published_total[5m])",
                "histogram_quantile(0.99, sum by (le) (rate(natsoak_verifier_latency_seconds_bucket[$__rate_interval])))",
                "rate(jvm_gc_pause_seconds_sum[5m]) / rate(jvm_gc_pause_seconds_count[5m])",
                "rate(${varz_prefix}_varz_in_msgs{server_id=~\"$server\"}[$__rate_interval])",
                "deriv(jvm_threads_live_threads[1h]) * 3600",
                "predict_linear(natsoak_process_rss_bytes[3h], 24 * 3600)",
                "min_over_time(jvm_gc_live_data_size_bytes[30m]) / min_over_time(jvm_gc_live_data_size_bytes[30m] offset 6h)",
                "rate(natsoak_producer_published_total{job=\"x\", note=\"rate(jvm_threads_live_threads[5m])\"}[5m])",
                "rate(natsoak_producer_published_total[5m]) # rate(jvm_threads_live_threads[5m]) in a comment",
        }) {
            assertThat(PromQl.counterFunctionsOnGauges(clean, counterLike)).as(clean).isEmpty();
        }
    }

    @Test
    void findsTheMetricNamesOfAnExpression() {
        assertThat(PromQl.metricNames("""
                (
                  min_over_time(jvm_threads_live_threads{role!=""}[30m])
                    / (min_over_time(jvm_threads_live_threads{role!=""}[30m] offset 6h) > 0) - 1
                ) > 0.05
                and on (job, instance) (time() - process_start_time_seconds > 7 * 3600)
                """)).isEqualTo(Set.of("jvm_threads_live_threads", "process_start_time_seconds"));
        assertThat(PromQl.metricNames(
                "label_replace(predict_linear(x_bytes[3h], 86400) > on (job) group_left () max by (job) (y_bytes{area=\"heap\"} > 0), \"limit\", \"heap\", \"\", \"\")"))
                .isEqualTo(Set.of("x_bytes", "y_bytes"));
        assertThat(PromQl.metricNames("sum(rate(a_total[5m])) by (le) unless count_over_time(ALERTS{alertname=~\"x\"}[1h]) @ 100"))
                .isEqualTo(Set.of("a_total", "ALERTS"));
        assertThat(PromQl.metricNames("${varz_prefix}_varz_mem{server_id=~\"$server\"} + ${jsz_prefix}_server_max_storage"))
                .isEqualTo(Set.of("gnatsd_varz_mem", "jetstream_server_max_storage"));
    }

    @Test
    void catalogueKnowsTypesAndHistogramSeries() {
        assertThat(catalogue.isCounterLike("natsoak_recovery_duration_seconds_bucket")).isTrue();
        assertThat(catalogue.isCounterLike("natsoak_recovery_duration_seconds_max")).isFalse();
        assertThat(catalogue.isCounterLike("jvm_gc_pause_seconds_count")).isTrue();
        assertThat(catalogue.isCounterLike("natsoak_verifier_verified")).isFalse();
        assertThat(catalogue.contains("natsoak_verifier_latency_seconds_bucket")).isTrue();
        assertThat(catalogue.contains("natsoak_verifier_latency_bucket")).isFalse();
        assertThat(catalogue.contains("jvm_memory_usage_after_gc_percent")).isFalse();
    }
}

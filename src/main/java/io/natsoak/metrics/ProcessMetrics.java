package io.natsoak.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Registers the per-component thread census and the process RSS as gauges. The census is
 * taken at most once a second however many gauges are scraped.
 */
public final class ProcessMetrics {

    private static final long CENSUS_MAX_AGE_NANOS = 1_000_000_000L;

    private final AtomicReference<Map<String, Integer>> census = new AtomicReference<>(Map.of());
    private final AtomicLong takenAt = new AtomicLong(Long.MIN_VALUE);

    public void bindTo(MeterRegistry registry) {
        for (String component : ThreadCensus.count().keySet()) {
            Gauge.builder(MetricNames.THREADS, this, m -> m.current().getOrDefault(component, 0))
                    .tag(MetricNames.TAG_COMPONENT, component)
                    .description("Live threads by the component that started them")
                    // The registry holds gauge objects weakly, and nothing else holds this one: without a
                    // strong reference the census gauges vanished after the first GC (PrometheusScrapeIT).
                    .strongReference(true)
                    .register(registry);
        }
        Gauge.builder(MetricNames.PROCESS_RSS, ProcessRss::bytes)
                .baseUnit("bytes")
                .description("Resident set size of the process, from /proc/self/status")
                .register(registry);
    }

    private Map<String, Integer> current() {
        long now = System.nanoTime();
        long taken = takenAt.get();
        if (taken == Long.MIN_VALUE || now - taken > CENSUS_MAX_AGE_NANOS) {
            census.set(ThreadCensus.count());
            takenAt.set(now);
        }
        return census.get();
    }
}

package io.natsoak.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.metrics.MetricNames;

import java.util.Map;

/** The worker's meters: what it processed, replayed, skipped and published, and how many partitions it reads. */
final class WorkerMetrics {

    final Counter processed;
    final Counter replayed;
    final Counter malformed;
    final Counter receiptBatches;
    final Counter receiptRetries;

    /** @param active the worker's partitions, for the gauge (kept for the worker's life: a gauge holds it weakly) */
    WorkerMetrics(MeterRegistry registry, Map<Integer, ?> active) {
        this.processed = registry.counter(MetricNames.WORKER_PROCESSED);
        this.replayed = registry.counter(MetricNames.WORKER_REPLAYED);
        this.malformed = registry.counter(MetricNames.WORKER_MALFORMED);
        this.receiptBatches = registry.counter(MetricNames.WORKER_RECEIPT_BATCHES);
        this.receiptRetries = registry.counter(MetricNames.WORKER_RECEIPT_RETRIES);
        if (registry.find(MetricNames.WORKER_PARTITIONS).gauge() == null) {
            Gauge.builder(MetricNames.WORKER_PARTITIONS, active, Map::size)
                    .description("Partitions this worker currently reads").register(registry);
        }
    }
}

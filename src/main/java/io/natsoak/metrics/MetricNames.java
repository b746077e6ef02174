package io.natsoak.metrics;

/**
 * Every natsoak metric name and tag key, defined once. Names are as Micrometer registers them;
 * Prometheus shows counters with a {@code _total} suffix (Micrometer adds it) and dots as
 * underscores. docs/metrics.md describes each one; dashboards and alert rules use these names,
 * and a test checks each name they use exists in a real scrape.
 */
public final class MetricNames {

    private MetricNames() {
    }

    // Common tags, set on every meter by the registry customizer.
    public static final String TAG_ROLE = "role";
    public static final String TAG_INSTANCE = "instance_name";

    // Producer
    public static final String PRODUCER_PUBLISHED = "natsoak.producer.published";
    public static final String PRODUCER_PUBLISH_RETRIES = "natsoak.producer.publish.retries";
    public static final String PRODUCER_SKIPPED = "natsoak.producer.skipped";

    // Worker
    public static final String WORKER_PROCESSED = "natsoak.worker.processed";
    public static final String WORKER_REPLAYED = "natsoak.worker.replayed";
    public static final String WORKER_MALFORMED = "natsoak.worker.malformed";
    public static final String WORKER_RECEIPT_BATCHES = "natsoak.worker.receipt.batches";
    public static final String WORKER_RECEIPT_RETRIES = "natsoak.worker.receipt.retries";
    public static final String WORKER_PARTITIONS = "natsoak.worker.partitions";

    // Verifier (gauges of the live report)
    public static final String VERIFIER_PUBLISHED = "natsoak.verifier.published";
    public static final String VERIFIER_VERIFIED = "natsoak.verifier.verified";
    public static final String VERIFIER_IN_FLIGHT = "natsoak.verifier.in.flight";
    public static final String VERIFIER_GAPS = "natsoak.verifier.gaps";
    public static final String VERIFIER_DUPLICATES = "natsoak.verifier.duplicates";
    public static final String TAG_DUPLICATE_CLASS = "class";
    public static final String VERIFIER_VERDICT = "natsoak.verifier.verdict";
    public static final String VERIFIER_LATENCY = "natsoak.verifier.latency";
    public static final String VERIFIER_CHECKPOINTS = "natsoak.verifier.checkpoints";
    public static final String VERIFIER_CHECKPOINT_FAILURES = "natsoak.verifier.checkpoint.failures";
    public static final String VERIFIER_CHECKPOINT_SIZE = "natsoak.verifier.checkpoint.size";

    // Lifecycle, threads, process (issue: lifecycle and leak detection)
    public static final String THREADS = "natsoak.threads";
    public static final String TAG_COMPONENT = "component";
    public static final String PROCESS_RSS = "natsoak.process.rss";
    public static final String COMPONENT_RESTARTS = "natsoak.component.restarts";
    public static final String IGNORED_STARTS = "natsoak.component.ignored.starts";
    public static final String NATS_CONNECTION_EVENTS = "natsoak.nats.connection.events";
    public static final String TAG_EVENT = "event";

    // Chaos operator
    public static final String CHAOS_EVENTS = "natsoak.chaos.events";
    public static final String TAG_OUTCOME = "outcome";
    public static final String CHAOS_ACTIVE = "natsoak.chaos.active";
}

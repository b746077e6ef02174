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
    /** Summary: natsoak threads an in-place restart (or reconnect) left behind once settled, per component. */
    public static final String RESTART_THREADS_LEFT = "natsoak.component.restart.threads.left";
    /** Counter: in-place restarts (or reconnects) that left at least one thread behind, per component. */
    public static final String RESTARTS_LEAKY = "natsoak.component.restarts.leaky";
    /** Gauge: how many of the component's most recent measured restarts are judged (at most natsoak.resources.restart-window). */
    public static final String RESTARTS_RECENT = "natsoak.component.restarts.recent";
    /** Gauge: of those, how many left threads behind (the verdict and NatsoakRestartsLeaveThreads judge it). */
    public static final String RESTARTS_RECENT_LEAKY = "natsoak.component.restarts.recent.leaky";
    /** Gauge: this process' own judged baseline, per resource (threads, heap_after_gc, rss); NaN until its warm-up after readiness is over. */
    public static final String RESOURCE_BASELINE = "natsoak.resource.baseline";
    public static final String TAG_RESOURCE = "resource";
    /** Gauge: this process' resource now minus its baseline (per resource); NaN until the baseline exists. What the growth alerts judge. */
    public static final String RESOURCE_GROWTH = "natsoak.resource.growth";
    /** Gauge: when this process was first ready (epoch seconds); NaN while it is starting. */
    public static final String PROCESS_READY_TIME = "natsoak.process.ready.time";
    public static final String NATS_CONNECTION_EVENTS = "natsoak.nats.connection.events";
    public static final String TAG_EVENT = "event";

    public static final String TAG_OUTCOME = "outcome";

    // Control plane (outcome: ok, error, rejected, unknown_sender, no_reply)
    public static final String CONTROL_REQUESTS = "natsoak.control.requests";

    // Chaos operator
    public static final String CHAOS_EVENTS = "natsoak.chaos.events";
    public static final String CHAOS_ACTIVE = "natsoak.chaos.active";
    public static final String CHAOS_FAULT_RECOVERY = "natsoak.chaos.fault.recovery";
    public static final String CHAOS_FAULT_UNRECOVERED = "natsoak.chaos.fault.unrecovered";
}

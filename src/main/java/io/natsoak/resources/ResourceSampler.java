package io.natsoak.resources;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.metrics.ProcessRss;
import io.natsoak.model.Json;
import io.natsoak.model.ResourceSample;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import org.jboss.logging.Logger;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;

/**
 * Samples this process' live threads, heap after GC and RSS every
 * {@code natsoak.resources.sample-interval} and publishes them (core NATS, fire and forget) on
 * {@code natsoak.<run>.resources.<role>.<instance>}, where the verifier judges their growth.
 * Each sample also says since when the process is ready, whether it is whole now (no component
 * mid-restart or disconnected) and what its components' in-place restarts left behind
 * ({@link RestartLedger}). Once the process is ready it takes its own
 * baseline the way the verifier does ({@link WarmUpBaseline}) and exports it as
 * {@code natsoak_resource_baseline}, so growth alerts compare each process with itself however
 * short its life. It requests a full collection when the old generation has not been collected
 * for {@code natsoak.resources.heap-probe-interval}, so heap after GC is known in every process.
 * It has its own connection and its own {@code resources-sample} thread, so restarting or
 * disconnecting the role's component does not interrupt the samples.
 */
public final class ResourceSampler extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(ResourceSampler.class);
    /** The resources as the baseline gauge's {@code resource} tag names them, in {@link ResourceSample} order. */
    public static final List<String> RESOURCES = List.of("threads", "heap_after_gc", "rss");

    private final NatsoakConfig config;
    private final String role;
    private final String instance;
    private final MeterRegistry registry;
    private final Clock clock;
    private final String subject;
    private final BooleanSupplier ready;
    private final RestartLedger restarts;
    private final long processStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final long warmUpMillis;
    private final long heapProbeMillis;

    /** Written on the sample thread only; read by gauges. */
    private volatile long readyAtMillis;
    /** Ready once, but not whole now (a component restarting or disconnected); written on the sample thread, read by gauges. */
    private volatile boolean partial;
    private final WarmUpBaseline[] baselines;
    /** Each resource's exported baseline (double bits), NaN until its warm-up after readiness is over; read by the gauges. */
    private final AtomicLongArray baselineValues = new AtomicLongArray(new long[] {NAN_BITS, NAN_BITS, NAN_BITS});
    private static final long NAN_BITS = Double.doubleToLongBits(Double.NaN);
    private long oldCollections = -1;
    private long oldCollectionSeenAtMillis;

    private OwnedConnection link;
    private OwnedExecutor.Scheduler sampler;

    /**
     * @param ready    true while every component of the process runs and its role has done its first unit of work
     *                 since it (re)started: first true = ready; false after that = not whole (partial samples)
     * @param restarts what in-place restarts of the process' components left behind
     */
    public ResourceSampler(NatsoakConfig config, String role, String instance, MeterRegistry registry, Clock clock, BooleanSupplier ready,
                           RestartLedger restarts) {
        super("resources");
        this.config = config;
        this.role = role.toLowerCase(Locale.ROOT);
        this.instance = instance;
        this.registry = registry;
        this.clock = clock;
        this.ready = ready;
        this.restarts = restarts;
        this.subject = new Names(config.runId()).resourcesSubject(this.role, instance.replaceAll("[^A-Za-z0-9_-]", "_"));
        this.warmUpMillis = config.resources().warmUp().toMillis();
        this.heapProbeMillis = config.resources().heapProbeInterval().toMillis();
        this.baselines = new WarmUpBaseline[] {new WarmUpBaseline(warmUpMillis), new WarmUpBaseline(warmUpMillis),
                new WarmUpBaseline(warmUpMillis)};
        this.oldCollectionSeenAtMillis = clock.millis();
        for (int k = 0; k < RESOURCES.size(); k++) {
            int resource = k;
            Gauge.builder(MetricNames.RESOURCE_BASELINE, baselineValues, v -> Double.longBitsToDouble(v.get(resource)))
                    .tag(MetricNames.TAG_RESOURCE, RESOURCES.get(k))
                    .description("This process' baseline (median of its warm-up after it was ready); NaN until then")
                    .strongReference(true).register(registry);
        }
        Gauge.builder(MetricNames.RESOURCE_GROWTH, this, s -> s.growth(0, liveThreads())).tag(MetricNames.TAG_RESOURCE, RESOURCES.get(0))
                .description("This process' threads now minus its baseline; NaN until the baseline exists").strongReference(true).register(registry);
        Gauge.builder(MetricNames.RESOURCE_GROWTH, this, s -> s.growth(1, heapAfterGc() > 0 ? heapAfterGc() : Double.NaN))
                .tag(MetricNames.TAG_RESOURCE, RESOURCES.get(1))
                .description("This process' heap after GC now minus its baseline; NaN until the baseline exists").strongReference(true).register(registry);
        Gauge.builder(MetricNames.RESOURCE_GROWTH, this, s -> s.growth(2, ProcessRss.bytes())).tag(MetricNames.TAG_RESOURCE, RESOURCES.get(2))
                .description("This process' RSS now minus its baseline; NaN until the baseline exists")
                .strongReference(true).register(registry);
        Gauge.builder(MetricNames.PROCESS_READY_TIME, this, s -> s.readyAtMillis == 0 ? Double.NaN : s.readyAtMillis / 1000.0)
                .description("When this process was first ready (every component running, first unit of work done), epoch seconds")
                .baseUnit("seconds").strongReference(true).register(registry);
    }

    public String subject() {
        return subject;
    }

    @Override
    protected void doStart() throws Exception {
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        sampler = OwnedExecutor.scheduler(name(), "sample");
        long interval = config.resources().sampleInterval().toMillis();
        sampler.executor().scheduleAtFixedRate(this::tick, 0, interval, TimeUnit.MILLISECONDS);
        LOG.infof("publishing resource samples on %s every %s", subject, config.resources().sampleInterval());
    }

    /** The current sample of this process. */
    private ResourceSample sample() {
        double rss = ProcessRss.bytes();
        return new ResourceSample(role, instance, processStartMillis, clock.millis(), liveThreads(), heapAfterGc(),
                Double.isNaN(rss) ? -1 : (long) rss, readyAtMillis, restarts.stats(), partial);
    }

    /**
     * {@code now} minus resource {@code k}'s baseline; NaN until the baseline exists, and NaN
     * while the process is not whole. The growth alerts take the floor of this series: it has no
     * value while the process is starting or warming up, so neither its start-up peak nor a
     * previous process on the same target can enter the floor of a process that is judged; and
     * Prometheus' min_over_time skips NaN, so the dip of a restart or disconnect (its
     * connection's threads gone for seconds) cannot pull the floor down and hide a leak.
     */
    private double growth(int k, double now) {
        return partial ? Double.NaN : now - Double.longBitsToDouble(baselineValues.get(k));
    }

    /** Sample thread: readiness, the heap probe, the baseline, then the sample itself. */
    private void tick() {
        try {
            long now = clock.millis();
            boolean whole = ready.getAsBoolean();
            if (readyAtMillis == 0 && whole) {
                readyAtMillis = now;
                LOG.infof("%s %s is ready after %.1f s; its resource baseline starts now", role, instance, (now - processStartMillis) / 1000.0);
            }
            partial = readyAtMillis > 0 && !whole;
            probeHeap(now);
            ResourceSample s = sample();
            if (readyAtMillis > 0 && !s.partial()) {
                takeBaseline(s);
            }
            OwnedConnection l = link;
            if (l != null) {
                l.connection().publish(subject, Json.write(s));
            }
        } catch (RuntimeException e) {
            LOG.debugf("cannot publish a resource sample: %s", e);
        }
    }

    private void takeBaseline(ResourceSample s) {
        double[] values = {s.threads(), s.heapAfterGcBytes() > 0 ? s.heapAfterGcBytes() : Double.NaN,
                s.rssBytes() < 0 ? Double.NaN : s.rssBytes()};
        for (int k = 0; k < values.length; k++) {
            baselines[k].offer(s.atMillis(), values[k]);
            if (baselineValues.get(k) == NAN_BITS && baselines[k].over(s.atMillis())) {
                baselineValues.set(k, Double.doubleToLongBits(baselines[k].value().orElse(Double.NaN)));
            }
        }
    }

    /**
     * Heap after GC is only known after a collection of the old generation, which a process with
     * room to spare may not run for hours (a verifier's was unknown for a whole one-hour run):
     * after {@code heap-probe-interval} without one, request one. A full collection of these
     * small heaps takes tens of milliseconds; it only happens where the JVM ran none itself.
     */
    private void probeHeap(long now) {
        if (heapProbeMillis <= 0) {
            return;
        }
        long collections = oldCollections();
        if (collections != oldCollections) {
            oldCollections = collections;
            oldCollectionSeenAtMillis = now;
        } else if (now - oldCollectionSeenAtMillis >= heapProbeMillis) {
            LOG.debugf("no old-generation collection for %d s: requesting one to know the heap after GC", (now - oldCollectionSeenAtMillis) / 1000);
            System.gc();
            oldCollectionSeenAtMillis = now;
        }
    }

    private static long oldCollections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            if (name.contains("Old") || name.contains("MarkSweep") || name.contains("Major") || name.contains("Full")) {
                n += Math.max(0, gc.getCollectionCount());
            }
        }
        return n;
    }

    /** Live threads as the JVM counts them: the same number as {@code jvm_threads_live_threads}, which the alerts compare. */
    static int liveThreads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /**
     * Used bytes after the last collection of the long-lived heap pools (G1 Old Gen, Tenured Gen,
     * ...): what Micrometer exports as {@code jvm_gc_live_data_size_bytes}. Young pools are left
     * out: their after-GC size is noise. With no long-lived pool, every heap pool is summed.
     */
    static long heapAfterGc() {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null).toList();
        List<MemoryPoolMXBean> longLived = heap.stream().filter(p -> isLongLived(p.getName())).toList();
        long sum = 0;
        for (MemoryPoolMXBean pool : longLived.isEmpty() ? heap : longLived) {
            MemoryUsage after = pool.getCollectionUsage();
            if (after != null) {
                sum += after.getUsed();
            }
        }
        return sum;
    }

    static boolean isLongLived(String pool) {
        return pool.contains("Old") || pool.contains("Tenured");
    }

    @Override
    protected void dropConnection() {
        OwnedConnection.close(link);
    }

    @Override
    protected void doStop() {
        if (sampler != null) {
            sampler.close();
            sampler = null;
        }
        if (link != null) {
            link.close();
            link = null;
        }
    }
}

package io.natsoak.resources;

import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.ProcessRss;
import io.natsoak.model.Json;
import io.natsoak.model.ResourceSample;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import org.jboss.logging.Logger;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Samples this process' live threads, heap after GC and RSS every
 * {@code natsoak.resources.sample-interval} and publishes them (core NATS, fire and forget) on
 * {@code natsoak.<run>.resources.<role>.<instance>}, where the verifier judges their growth. It
 * has its own connection and its own {@code resources-sample} thread, so restarting or
 * disconnecting the role's component does not interrupt the samples.
 */
public final class ResourceSampler extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(ResourceSampler.class);

    private final NatsoakConfig config;
    private final String role;
    private final String instance;
    private final MeterRegistry registry;
    private final Clock clock;
    private final String subject;
    private final long processStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();

    private OwnedConnection link;
    private OwnedExecutor.Scheduler sampler;

    public ResourceSampler(NatsoakConfig config, String role, String instance, MeterRegistry registry, Clock clock) {
        super("resources");
        this.config = config;
        this.role = role.toLowerCase(Locale.ROOT);
        this.instance = instance;
        this.registry = registry;
        this.clock = clock;
        this.subject = new Names(config.runId()).resourcesSubject(this.role, instance.replaceAll("[^A-Za-z0-9_-]", "_"));
    }

    public String subject() {
        return subject;
    }

    @Override
    protected void doStart() throws Exception {
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        sampler = OwnedExecutor.scheduler(name(), "sample");
        long interval = config.resources().sampleInterval().toMillis();
        sampler.executor().scheduleAtFixedRate(this::publish, 0, interval, TimeUnit.MILLISECONDS);
        LOG.infof("publishing resource samples on %s every %s", subject, config.resources().sampleInterval());
    }

    /** The current sample of this process. */
    public ResourceSample sample() {
        double rss = ProcessRss.bytes();
        return new ResourceSample(role, instance, processStartMillis, clock.millis(), Thread.activeCount(), heapAfterGc(),
                Double.isNaN(rss) ? -1 : (long) rss);
    }

    private void publish() {
        try {
            OwnedConnection l = link;
            if (l != null) {
                l.connection().publish(subject, Json.write(sample()));
            }
        } catch (RuntimeException e) {
            LOG.debugf("cannot publish a resource sample: %s", e);
        }
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

package io.natsoak.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.model.Report;
import io.natsoak.producer.ProducerService;
import io.natsoak.verifier.VerifierService;
import io.natsoak.worker.WorkerService;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A soak assembled from the real components inside the test JVM, against a real NATS cluster:
 * fast to start, and each component can be stopped and started again. Tests that need real
 * process crashes use {@link io.natsoak.local.LocalTopology} instead.
 */
public final class Soak implements AutoCloseable {

    private final Map<String, String> settings = new HashMap<>();
    private final List<ProducerService> producers = new ArrayList<>();
    private final List<WorkerService> workers = new ArrayList<>();
    private VerifierService verifier;
    private NatsoakConfig config;

    public Soak(NatsClusterExtension nats, String runPrefix) {
        settings.put("natsoak.run-id", nats.uniqueName(runPrefix));
        settings.put("natsoak.nats.urls", String.join(",", nats.urls()));
        settings.put("natsoak.role", "verifier");
        settings.put("natsoak.verifier.report-interval", "500ms");
        settings.put("natsoak.worker.commit-interval", "500ms");
        settings.put("natsoak.producer.mark-interval", "500ms");
    }

    public Soak set(String key, String value) {
        settings.put(key, value);
        config = null;
        return this;
    }

    /**
     * Workers share partitions through the partition manager with short timings (2 s heartbeat
     * TTL), so joins, leaves and crashes settle within seconds.
     */
    public Soak managedWorkersWithShortTimings() {
        return set("natsoak.worker.assignment", "weighted-consistent-hash")
                .set("natsoak.worker.heartbeat-ttl", "2s").set("natsoak.worker.heartbeat-interval", "250ms")
                .set("natsoak.worker.emergency-grace", "500ms").set("natsoak.worker.cold-start", "1s")
                .set("natsoak.worker.min-rebalance-interval", "500ms");
    }

    public NatsoakConfig config() {
        if (config == null) {
            config = ConfigLoader.fromMap(settings);
        }
        return config;
    }

    public String runId() {
        return config().runId();
    }

    public VerifierService startVerifier() throws Exception {
        verifier = new VerifierService(config(), new SimpleMeterRegistry(), Clock.systemUTC(), r -> { });
        verifier.start();
        return verifier;
    }

    public ProducerService startProducer(int index) throws Exception {
        ProducerService p = new ProducerService(config(), index, new SimpleMeterRegistry(), Clock.systemUTC());
        p.start();
        producers.add(p);
        return p;
    }

    public void startProducers() throws Exception {
        for (int i = 0; i < config().producer().count(); i++) {
            startProducer(i);
        }
    }

    public WorkerService startWorker(int index) throws Exception {
        WorkerService w = new WorkerService(config(), index, new SimpleMeterRegistry(), Clock.systemUTC());
        w.start();
        workers.add(w);
        return w;
    }

    public void startWorkers() throws Exception {
        for (int i = 0; i < config().worker().count(); i++) {
            startWorker(i);
        }
    }

    public VerifierService verifier() {
        return verifier;
    }

    /** Ends an untimed run: producers stop (their last marks), the verifier decides. */
    public Report finish(long seconds) throws Exception {
        producers.forEach(ProducerService::stop);
        verifier.concludeNow();
        return awaitVerdict(seconds);
    }

    public Report awaitVerdict(long seconds) throws Exception {
        return verifier.verdict().get(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        producers.forEach(ProducerService::stop);
        workers.forEach(WorkerService::stop);
        if (verifier != null) {
            verifier.concludeNow();
            verifier.stop();
        }
    }
}

package io.natsoak.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.PublishOptions;
import io.nats.client.StreamContext;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsConfig;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.local.NatsCluster;
import io.natsoak.nats.OwnedConnection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Plain jnats against a local cluster, no natsoak logic: the physical reference of this
 * machine. One stream with a subject per partition (same replicas, storage and message size as
 * natsoak's data stream), an asynchronous publisher with PubAck (a bounded window of publishes
 * in flight) and, at the same time, a consumer:
 * <ul>
 *   <li>{@link Model#DURABLE}: one durable pull consumer over every partition, each message
 *       acknowledged: the reference the issue names "raw";</li>
 *   <li>{@link Model#ORDERED}: one ordered consumer (R1, memory, no acks) per partition, the
 *       consumption model natsoak's workers use: the reference for natsoak at many partitions.</li>
 * </ul>
 * After a warm-up, acknowledged publishes and consumed messages are counted over a window;
 * end to end is what was consumed. The publisher runs flat out, so whichever side is slower
 * sets the figure, and the backlog says which side it was.
 */
final class RawJetStream {

    enum Model {
        DURABLE, ORDERED;

        String label() {
            return this == DURABLE ? "1 durable pull consumer, ack each" : "1 ordered consumer per partition";
        }
    }

    /**
     * How the raw publisher publishes: at most {@code window} PubAcks outstanding (1,000 by default:
     * enough to hide the round trip, small enough not to flood a slow consumer), and with or
     * without a Nats-Msg-Id per message (natsoak's producer sets one, for exactly-once retries).
     */
    record Publishing(int window, boolean messageIds) {
        static final Publishing DEFAULT = new Publishing(1_000, false);

        String label() {
            return window + " PubAcks outstanding" + (messageIds ? ", with message ids" : "");
        }
    }
    private static final int PULL_BATCH = 500;
    private static final String COMPONENT = "bench";

    record Settings(Model model, int partitions, int messageSize, int replicas, StorageType storage, Duration warmUp, Duration window,
                    Publishing publishing) {
    }

    /**
     * @param setupSeconds creating the stream and the consumers
     * @param backlog      published but not consumed at the end of the window
     */
    record Result(Model model, Publishing publishing, int partitions, double publishedPerSecond, double consumedPerSecond, long backlog,
                  double setupSeconds, CpuUsage cpu) {

        /** What limited the end-to-end figure. */
        String limit() {
            String side = publishedPerSecond > consumedPerSecond * 1.05 ? "the consumer side (a backlog grew)" : "publish round trips";
            return cpu.limit(side);
        }
    }

    private RawJetStream() {
    }

    /** Runs one measurement on a cluster that is already started; deletes its stream at the end. */
    static Result run(NatsCluster cluster, Settings s) throws Exception {
        String id = Long.toString(System.nanoTime() % 1_000_000_000L, 36).toUpperCase(Locale.ROOT);
        String stream = "RAW_" + id;
        String prefix = "raw." + id + ".";
        NatsConfig nats = ConfigLoader.fromMap(Map.of("natsoak.nats.urls", String.join(",", cluster.clientUrls()))).nats();
        AtomicLong published = new AtomicLong();
        AtomicLong consumed = new AtomicLong();
        List<MessageConsumer> consumers = new ArrayList<>();
        try (OwnedConnection link = OwnedConnection.open(nats, COMPONENT, "raw", new SimpleMeterRegistry(), Duration.ofSeconds(30))) {
            Connection nc = link.connection();
            JetStreamManagement jsm = nc.jetStreamManagement();
            long setupStart = System.nanoTime();
            jsm.addStream(StreamConfiguration.builder().name(stream).subjects(prefix + "*").retentionPolicy(RetentionPolicy.Limits).duplicateWindow(Duration.ofMinutes(2))
                    .storageType(s.storage()).replicas(s.replicas()).build());
            Dispatcher dispatcher = nc.createDispatcher();
            try {
                StreamContext sc = nc.getStreamContext(stream);
                ConsumeOptions options = ConsumeOptions.builder().batchSize(PULL_BATCH).build();
                if (s.model() == Model.DURABLE) {
                    jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("raw").ackPolicy(AckPolicy.Explicit)
                            .maxAckPending(20 * PULL_BATCH).build());
                    consumers.add(sc.getConsumerContext("raw").consume(options, dispatcher, (Message m) -> {
                        m.ack();
                        consumed.incrementAndGet();
                    }));
                } else {
                    for (int p = 0; p < s.partitions(); p++) {
                        consumers.add(sc.createOrderedConsumer(new OrderedConsumerConfiguration().filterSubject(prefix + p))
                                .consume(options, dispatcher, m -> consumed.incrementAndGet()));
                    }
                }
                double setupSeconds = (System.nanoTime() - setupStart) / 1e9;
                Result r = measure(nc.jetStream(), prefix, s, published, consumed, setupSeconds,
                        new CpuMeter(Map.of("nats-server", natsPids(cluster), "bench client", () -> List.of(ProcessHandle.current().pid()))));
                for (MessageConsumer c : consumers) {
                    c.close();
                }
                return r;
            } finally {
                nc.closeDispatcher(dispatcher);
                try {
                    jsm.deleteStream(stream);
                } catch (Exception e) {
                    // the cluster is removed right after; a stream left behind harms nobody
                }
            }
        }
    }

    private static Result measure(JetStream js, String prefix, Settings s, AtomicLong published, AtomicLong consumed, double setupSeconds,
                                  CpuMeter meter) throws InterruptedException {
        Publisher publisher = new Publisher(js, prefix, s.partitions(), s.messageSize(), s.publishing(), published);
        NamedThreads threads = new NamedThreads(COMPONENT, "raw-publish");
        Thread thread = threads.newThread(publisher);
        thread.start();
        try {
            Thread.sleep(s.warmUp().toMillis());
            long p0 = published.get();
            long c0 = consumed.get();
            CpuMeter.Snapshot a = meter.snapshot();
            Thread.sleep(s.window().toMillis());
            CpuMeter.Snapshot b = meter.snapshot();
            long p1 = published.get();
            long c1 = consumed.get();
            double seconds = (b.nanos() - a.nanos()) / 1e9;
            return new Result(s.model(), s.publishing(), s.partitions(), (p1 - p0) / seconds, (c1 - c0) / seconds, Math.max(0, p1 - c1), setupSeconds,
                    CpuMeter.between(a, b));
        } finally {
            publisher.stop();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            thread.interrupt();
            if (!threads.awaitExit(Duration.ofSeconds(10))) {
                throw new BenchException("the raw publisher thread did not stop");
            }
        }
    }

    private static Supplier<java.util.Collection<Long>> natsPids(NatsCluster cluster) {
        return () -> IntStream.range(0, cluster.size()).mapToObj(i -> cluster.pid(i)).filter(p -> p > 0).toList();
    }

    /** Publishes round-robin over the partitions with at most {@link Publishing#window()} PubAcks outstanding. */
    private static final class Publisher implements Runnable {
        private final JetStream js;
        private final String[] subjects;
        private final byte[] payload;
        private final AtomicLong acknowledged;
        private final int windowSize;
        private final Semaphore window;
        private final boolean messageIds;
        private volatile boolean running = true;

        Publisher(JetStream js, String prefix, int partitions, int messageSize, Publishing publishing, AtomicLong acknowledged) {
            this.windowSize = publishing.window();
            this.window = new Semaphore(windowSize);
            this.messageIds = publishing.messageIds();
            this.js = js;
            this.subjects = IntStream.range(0, partitions).mapToObj(p -> prefix + p).toArray(String[]::new);
            this.payload = new byte[messageSize];
            ThreadLocalRandom.current().nextBytes(payload);
            this.acknowledged = acknowledged;
        }

        void stop() {
            running = false;
        }

        @Override
        public void run() {
            int p = 0;
            long count = 0;
            try {
                while (running) {
                    window.acquire();
                    CompletableFuture<PublishAck> sent = messageIds
                            ? js.publishAsync(subjects[p], payload, PublishOptions.builder().messageId(subjects[p] + "-" + (++count)).build())
                            : js.publishAsync(subjects[p], payload);
                    sent.whenComplete((ack, error) -> {
                        window.release();
                        if (error == null) {
                            acknowledged.incrementAndGet();
                        }
                    });
                    p = p + 1 == subjects.length ? 0 : p + 1;
                }
                // let what is in flight finish, so closing the connection does not race its PubAcks
                window.tryAcquire(windowSize, 10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package io.natsoak.producer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.NatsMessage;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.config.PartitionWeights;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.Envelope;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import io.natsoak.nats.RunClock;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Publishes this producer's share of the partitions at the configured rate.
 * <p>
 * Per partition, sequences start at 1 (or resume after the last one stored) and at most
 * {@code natsoak.producer.publish-window} publishes are in flight, sent in sequence order
 * ({@link PublishWindows}); a failed publish is retried with the same bytes and Nats-Msg-Id until
 * it is stored. So no sequence is skipped, reused or stored twice, through leader failovers and
 * restarts alike ({@link SequenceResume} finds what a crashed predecessor's last window stored).
 * The published mark is the acknowledged prefix, never a sequence above a missing one. Messages
 * that fall due while a partition's window is full queue up and carry the time they were due,
 * so latency includes the wait.
 */
public final class ProducerService extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(ProducerService.class);
    /** Due messages queued across all partitions before ticks are skipped (memory bound during an outage). */
    private static final int MAX_BACKLOG = 1_000_000;
    private static final long RETRY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(15);

    private final NatsoakConfig config;
    private final int index;
    private final Names names;
    private final PartitionWeights weights;
    private final int[] mine;
    private final MeterRegistry registry;
    private final Clock clock;
    private final Counter publishedCounter;
    private final Counter retriesCounter;
    private final Counter skippedTicks;

    // Owned by the send thread only.
    private PublishWindows windows;
    private long producerSequence;
    private ArrayDeque<Long>[] due;
    private int backlog;
    /** Sequences a crashed predecessor sent and NATS never stored: sent again first. */
    private List<InFlight> resent;

    /** Written by the send thread, published by the marks scheduler. */
    private MarksPublisher marks;
    private volatile boolean finished;

    private volatile OwnedConnection link;
    private volatile Connection connection;
    private Thread sendThread;
    private OwnedExecutor.Scheduler marksScheduler;
    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();

    public ProducerService(NatsoakConfig config, int index, MeterRegistry registry, Clock clock) {
        super("producer");
        this.config = config;
        this.index = index;
        this.names = new Names(config.runId());
        this.weights = new PartitionWeights(config.partitions());
        this.mine = java.util.stream.IntStream.range(0, config.partitions().count())
                .filter(p -> p % config.producer().count() == index).toArray();
        this.registry = registry;
        this.clock = clock;
        this.publishedCounter = registry.counter(MetricNames.PRODUCER_PUBLISHED);
        this.retriesCounter = registry.counter(MetricNames.PRODUCER_PUBLISH_RETRIES);
        this.skippedTicks = registry.counter(MetricNames.PRODUCER_SKIPPED);
    }

    /** The partitions this producer owns (p mod producers == index). */
    public int[] partitions() {
        return mine.clone();
    }

    /** True once the run's duration is over and every due message is acknowledged. */
    public boolean finished() {
        return finished;
    }

    /** Acknowledged high-water mark of one of this producer's partitions. */
    public long acknowledged(int partition) {
        MarksPublisher m = marks;
        return m == null ? 0 : m.acknowledged(partition);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void doStart() throws Exception {
        finished = false;
        completions.clear();
        int n = config.partitions().count();
        marks = new MarksPublisher(index, n, mine, names, clock);
        due = new ArrayDeque[n];
        backlog = 0;
        producerSequence = 0;
        link = OwnedConnection.open(config.nats(), name(), instanceName(), registry, Provisioner.START_PATIENCE);
        connection = link.connection();
        new Provisioner(connection, names, config.nats()).ensureAllPatiently();
        RunClock run = Retry.within(Provisioner.START_PATIENCE, "joining the run", () -> RunClock.join(connection, names, config.duration(), clock));
        SequenceResume.Resumed resumed = Retry.within(Provisioner.START_PATIENCE, "resuming sequences",
                () -> new SequenceResume(connection, names, index, config.producer().publishWindow()).resume(mine));
        resume(resumed);
        if (mine.length == 0) {
            LOG.warnf("producer %d owns no partitions (%d partitions, %d producers)", index, n, config.producer().count());
        }
        marksScheduler = OwnedExecutor.scheduler(name(), "marks");
        long interval = config.producer().markInterval().toMillis();
        marksScheduler.executor().scheduleWithFixedDelay(() -> publishMarks(finished), interval, interval, TimeUnit.MILLISECONDS);
        sendThread = new NamedThreads(name(), "send").newThread(() -> sendLoop(run));
        sendThread.start();
        LOG.infof("producer %d started: %d partitions, %.1f msg/s, run ends %s", index, mine.length, myRate(),
                run.timed() ? java.time.Instant.ofEpochMilli(run.endsAtMillis()) : "when stopped");
    }

    @Override
    protected void dropConnection() {
        OwnedConnection.close(link);
    }

    @Override
    protected void doStop() {
        if (sendThread != null) {
            sendThread.interrupt();
            join(sendThread);
            sendThread = null;
        }
        if (marksScheduler != null) {
            marksScheduler.close();
            marksScheduler = null;
        }
        if (connection != null) {
            // Whatever the reason for stopping, nothing more comes from this incarnation.
            if (!aborting()) {
                publishMarks(true);
            }
            connection = null;
        }
        if (link != null) {
            link.close();
            link = null;
        }
    }

    private double myRate() {
        double r = 0;
        for (int p : mine) {
            r += weights.rate(p);
        }
        return r;
    }

    private String instanceName() {
        return config.instance().orElse("producer-" + index);
    }

    /** Continues each partition where {@link SequenceResume} found it, never from 1. */
    private void resume(SequenceResume.Resumed resumed) {
        windows = new PublishWindows(config.partitions().count(), resumed.windowNeeded());
        producerSequence = resumed.producerSequence();
        resent = new ArrayList<>();
        long now = clock.millis() * 1000;
        resumed.plans().forEach((p, plan) -> {
            windows.resume(p, plan.prefix(), plan.last(), plan.storedAbove(), resumed.streamFloors().getOrDefault(p, 0L));
            marks.acknowledged(p, windows.acknowledged(p));
            marks.streamFloor(p, windows.streamFloor(p));
            for (long s : plan.holes()) {
                resent.add(new InFlight(p, s, new Envelope(p, s, index, ++producerSequence, now, weights.weight(p))
                        .encode(config.producer().messageSize())));
            }
        });
        if (!resumed.plans().isEmpty()) {
            LOG.infof("producer %d resumed %d partitions after their last stored sequence", index, resumed.plans().size());
        }
    }

    private void sendLoop(RunClock run) {
        JetStream js;
        try {
            js = connection.jetStream();
        } catch (Exception e) {
            fail("cannot open JetStream context", e);
            return;
        }
        double rate = myRate();
        long intervalNanos = rate > 0 ? (long) (1e9 / rate) : Long.MAX_VALUE;
        long startNanos = System.nanoTime();
        long startMicros = clock.millis() * 1000;
        long nextTick = startNanos;
        SendSchedule schedule = mine.length == 0 ? null : new SendSchedule(mine, java.util.Arrays.stream(mine).mapToDouble(weights::rate).toArray());
        ArrayDeque<InFlight> retries = new ArrayDeque<>();
        ArrayDeque<Integer> ready = new ArrayDeque<>();
        int inFlightCount = resent.size();
        for (InFlight f : resent) {
            send(js, f);
        }
        resent = List.of();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                inFlightCount -= drainCompletions(ready, retries);
                long now = System.nanoTime();
                boolean publishing = clock.millis() < run.endsAtMillis();
                if (publishing && schedule != null) {
                    while (nextTick <= now) {
                        if (backlog >= MAX_BACKLOG) {
                            skippedTicks.increment();
                        } else {
                            int p = schedule.next();
                            if (due[p] == null) {
                                due[p] = new ArrayDeque<>();
                            }
                            due[p].addLast(startMicros + (nextTick - startNanos) / 1000);
                            backlog++;
                            if (due[p].size() == 1 && windows.canAssign(p)) {
                                ready.addLast(p);
                            }
                        }
                        nextTick += intervalNanos;
                    }
                }
                while (!ready.isEmpty()) {
                    int p = ready.pollFirst();
                    while (due[p] != null && !due[p].isEmpty() && windows.canAssign(p)) {
                        long intended = due[p].pollFirst();
                        backlog--;
                        long sequence = windows.assign(p);
                        InFlight f = new InFlight(p, sequence, new Envelope(p, sequence, index, ++producerSequence, intended,
                                weights.weight(p)).encode(config.producer().messageSize()));
                        inFlightCount++;
                        send(js, f);
                    }
                }
                while (!retries.isEmpty() && retries.peekFirst().retryAtNanos <= now) {
                    send(js, retries.pollFirst());
                }
                if (!publishing && backlog == 0 && inFlightCount == 0 && !finished) {
                    finished = true;
                    publishMarks(true);
                    LOG.infof("producer %d: run over; every due message is acknowledged", index);
                }
                long wakeAt = publishing ? nextTick : now + TimeUnit.MILLISECONDS.toNanos(200);
                if (!retries.isEmpty()) {
                    wakeAt = Math.min(wakeAt, retries.peekFirst().retryAtNanos);
                }
                long waitNanos = Math.max(0, wakeAt - System.nanoTime());
                if (waitNanos > 0 && ready.isEmpty()) {
                    Completion c = completions.poll(waitNanos, TimeUnit.NANOSECONDS);
                    if (c != null) {
                        completions.add(c);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail("send loop died", e);
            return;
        }
        if (!aborting()) {
            awaitInFlight(inFlightCount, ready, retries);
        }
    }

    /** On stop: give publishes already in flight a bounded time to be acknowledged, so the final marks include them. */
    private void awaitInFlight(int inFlightCount, ArrayDeque<Integer> ready, ArrayDeque<InFlight> retries) {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        int remaining = inFlightCount;
        while (remaining > retries.size() && System.nanoTime() < deadline) {
            try {
                Completion c = completions.poll(100, TimeUnit.MILLISECONDS);
                if (c != null) {
                    completions.add(c);
                    remaining -= drainCompletions(ready, retries);
                }
            } catch (InterruptedException e) {
                // stop already asked; keep draining within the deadline
            }
        }
    }

    private void send(JetStream js, InFlight f) {
        NatsMessage msg = NatsMessage.builder().subject(names.dataSubject(f.partition)).data(f.payload).build();
        PublishOptions opts = PublishOptions.builder()
                .messageId(names.messageId(f.partition, f.sequence))
                .expectedStream(names.dataStream())
                .build();
        CompletableFuture<PublishAck> future;
        try {
            future = js.publishAsync(msg, opts);
        } catch (RuntimeException e) {
            completions.add(new Completion(f, null, e));
            return;
        }
        future.whenComplete((ack, error) -> completions.add(new Completion(f, ack, error)));
    }

    /** @return how many publishes completed successfully */
    private int drainCompletions(ArrayDeque<Integer> ready, ArrayDeque<InFlight> retries) {
        int done = 0;
        Completion c;
        while ((c = completions.poll()) != null) {
            InFlight f = c.inFlight;
            if (c.error == null) {
                int p = f.partition;
                if (windows.acknowledge(p, f.sequence, c.ack.getSeqno())) {
                    marks.acknowledged(p, windows.acknowledged(p));
                }
                marks.streamFloor(p, windows.streamFloor(p));
                publishedCounter.increment();
                done++;
                workDone();
                if (due[p] != null && !due[p].isEmpty() && windows.canAssign(p)) {
                    ready.addLast(p);
                }
            } else {
                retriesCounter.increment();
                if (f.attempts++ % 20 == 0) {
                    LOG.warnf("producer %d: publish of partition %d sequence %d failed (%s); retrying", index, f.partition, f.sequence,
                            c.error.toString());
                }
                f.retryAtNanos = System.nanoTime() + RETRY_BACKOFF_NANOS;
                retries.addLast(f);
            }
        }
        return done;
    }

    private void publishMarks(boolean last) {
        Connection conn = connection;
        MarksPublisher m = marks;
        if (conn == null || m == null) {
            return;
        }
        PublishWindows w = windows;
        m.publish(conn, w == null ? config.producer().publishWindow() : w.size(), last);
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Completion(InFlight inFlight, PublishAck ack, Throwable error) {
    }
}

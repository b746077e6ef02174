package io.natsoak.verifier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.impl.NatsJetStreamMetaData;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Report;
import io.natsoak.model.ResourceSample;
import io.natsoak.nats.Dispatchers;
import io.natsoak.nats.KvWatch;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import io.natsoak.nats.RunClock;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Consumes receipts and producer marks, keeps the {@link Verification}, logs progress and, at
 * the end of the run, decides the verdict: once every producer has reported its last message and
 * nothing is in flight, or, when something stays missing, once no receipt has arrived for a whole
 * validation window after the end of the run.
 */
public final class VerifierService extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(VerifierService.class);

    private final NatsoakConfig config;
    private final Names names;
    private final Clock clock;
    private final Consumer<Report> onVerdict;
    private final MeterRegistry registry;

    private final Verification verification;
    /** Resource samples of every role process; like the verification, it survives in-place restarts. */
    private final ResourceGrowth growth;
    private volatile Report finalReport;
    private final CompletableFuture<Report> verdict = new CompletableFuture<>();
    private RunClock run;
    /** When the last receipt batch arrived (or the verifier started). */
    private volatile long lastArrivalMillis;
    private volatile boolean receivedSinceStart;
    /** At the latest this long after the end of the run the verdict is decided, whatever is missing. */
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);
    /** How often the running totals go out for the chaos operator's recovery timing. */
    private static final long PROGRESS_INTERVAL_MS = 1_000;
    /** The verification with its receipts-stream position; like the verification, it survives in-place restarts. */
    private final AppliedReceipts applied;
    /** Saves {@link #applied} in NATS; a new verifier process restores it once, before reading anything. */
    private final Checkpointer checkpointer;
    private boolean restoreDone;
    private volatile OwnedConnection link;
    private Connection connection;
    private Dispatcher dispatcher;
    private ReceiptsFeed receipts;
    private KvWatch marksWatch;
    private Subscription resourcesSubscription;
    /** The faults of the chaos log, for the report; like the verification, it survives in-place restarts. */
    private final ChaosLogReader chaosLog;
    private OwnedExecutor.Scheduler reporter;
    /** The servers and streams the run was judged on, for the report; like the verification, it survives in-place restarts. */
    private final NatsView natsView;
    /** When the reporter last read the streams' info (they change only on failover, so not every tick). */
    private volatile long streamsLookedAtMillis;
    private static final long STREAMS_LOOK_INTERVAL_MILLIS = 15_000;

    /** @param onVerdict told the final report once, on the reporter thread */
    public VerifierService(NatsoakConfig config, MeterRegistry registry, Clock clock, Consumer<Report> onVerdict) {
        super("verifier");
        this.config = config;
        this.names = new Names(config.runId());
        this.clock = clock;
        this.onVerdict = onVerdict;
        this.registry = registry;
        // Lives as long as the process: an in-place restart (control plane) resumes the durable
        // receipts consumer after its last ack, so the state must survive it to stay exact.
        this.verification = new Verification(config.partitions().count(), config.producer().count(),
                config.verifier().validationWindow(), System::nanoTime);
        Timer latency = Timer.builder(MetricNames.VERIFIER_LATENCY)
                .description("End-to-end latency: from when a message was due at the producer to the end of its processing")
                .publishPercentileHistogram()
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
        this.chaosLog = new ChaosLogReader(names, config.nats());
        this.natsView = new NatsView(names);
        this.growth = new ResourceGrowth(ResourceGrowth.Limits.of(config.resources()), clock);
        this.verification.onLatency(micros -> latency.record(micros, java.util.concurrent.TimeUnit.MICROSECONDS));
        this.applied = new AppliedReceipts(verification, growth);
        this.checkpointer = new Checkpointer(name(), config, applied, clock, registry);
    }

    /**
     * The process is ending before the verdict (Ctrl-C, SIGTERM, a run without duration): give
     * in-flight messages one window to land, then decide on what was published.
     */
    public void concludeNow() {
        if (finalReport == null && run != null && state() == State.RUNNING) {
            awaitSettled();
            decide();
        }
    }

    /** Completes with the final report. */
    public CompletableFuture<Report> verdict() {
        return verdict;
    }

    /** The live report (or the final one once decided); null before the first start. */
    public Report report() {
        Report done = finalReport;
        if (done != null) {
            return done;
        }
        Verification v = verification;
        return v == null ? null : withResources(v.report(config.runId(), elapsedSeconds(), false));
    }

    @Override
    protected void doStart() throws Exception {
        String instance = config.instance().orElse("verifier");
        registerGauges();
        lastArrivalMillis = clock.millis();
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        connection = link.connection();
        Provisioner provisioner = new Provisioner(connection, names, config.nats());
        provisioner.ensureAllPatiently();
        Retry.within(Provisioner.START_PATIENCE, "creating the checkpoint stream", () -> {
            provisioner.ensureCheckpointStream();
            return null;
        });
        run = Retry.within(Provisioner.START_PATIENCE, "joining the run", () -> RunClock.join(connection, names, config.duration(), clock));
        CheckpointStore checkpoints = new CheckpointStore(connection, names);
        if (!restoreDone) {
            // Once per process, before anything is read: an in-place restart keeps the newer state in memory.
            checkpointer.restore(checkpoints);
            restoreDone = true;
        }
        dispatcher = connection.createDispatcher();
        resourcesSubscription = dispatcher.subscribe(names.resourcesSubjects(), this::onResources);
        Retry.within(Provisioner.START_PATIENCE, "reading the chaos log", () -> {
            chaosLog.start(connection, dispatcher);
            return null;
        });
        receipts = new ReceiptsFeed(connection, dispatcher, names, this::onReceipts, applied::position, () -> lastArrivalMillis, clock::millis);
        receipts.start();
        marksWatch = Retry.within(Provisioner.START_PATIENCE, "watching producer marks",
                () -> KvWatch.all(connection, dispatcher, names.marksBucket(), new MarksWatcher()));
        reporter = OwnedExecutor.scheduler(name(), "report");
        long interval = config.verifier().reportInterval().toMillis();
        reporter.executor().scheduleWithFixedDelay(this::tick, interval, interval, TimeUnit.MILLISECONDS);
        reporter.executor().scheduleWithFixedDelay(this::publishProgress, PROGRESS_INTERVAL_MS, PROGRESS_INTERVAL_MS, TimeUnit.MILLISECONDS);
        checkpointer.start(checkpoints);
        LOG.infof("verifier started: %d partitions, %d producers, validation window %s", config.partitions().count(),
                config.producer().count(), config.verifier().validationWindow());
    }

    private void registerGauges() {
        if (registry.find(MetricNames.VERIFIER_GAPS).gauge() == null) {
            Gauge.builder(MetricNames.VERIFIER_GAPS, this, s -> s.metric(Report::gaps)).register(registry);
            Gauge.builder(MetricNames.VERIFIER_IN_FLIGHT, this, s -> s.metric(Report::inFlight)).register(registry);
            Gauge.builder(MetricNames.VERIFIER_VERIFIED, this, s -> s.metric(Report::verified)).register(registry);
            Gauge.builder(MetricNames.VERIFIER_PUBLISHED, this, s -> s.metric(Report::published)).register(registry);
            Gauge.builder(MetricNames.VERIFIER_DUPLICATES, this, s -> s.metric(r -> r.duplicates().redelivered()))
                    .tag(MetricNames.TAG_DUPLICATE_CLASS, "redelivered").register(registry);
            Gauge.builder(MetricNames.VERIFIER_DUPLICATES, this, s -> s.metric(r -> r.duplicates().unexplained()))
                    .tag(MetricNames.TAG_DUPLICATE_CLASS, "unexplained").register(registry);
            Gauge.builder(MetricNames.VERIFIER_VERDICT, this, s -> s.metric(r -> r.passed() ? 1 : 0))
                    .description("1 while the (live or final) verdict is PASS, 0 once it is FAIL").register(registry);
        }
    }

    private double metric(java.util.function.ToLongFunction<Report> f) {
        Report r = report();
        return r == null ? Double.NaN : f.applyAsLong(r);
    }

    private double elapsedSeconds() {
        RunClock r = run;
        if (r == null) {
            return 0;
        }
        long end = Math.min(clock.millis(), r.endsAtMillis());
        return Math.max(0, end - r.startedAtMillis()) / 1000.0;
    }

    /**
     * Dispatcher thread. Nothing is acknowledged: the receipts stream is read from the verifier's
     * own position, which is checkpointed together with the state it produced (see
     * {@link AppliedReceipts}, {@link ReceiptsFeed}), so every batch is applied exactly once.
     */
    private void onReceipts(Message msg) {
        lastArrivalMillis = clock.millis();
        receivedSinceStart = true;
        NatsJetStreamMetaData meta = msg.metaData();
        applied.apply(meta.streamSequence(), msg.getData(), meta.timestamp().toInstant().toEpochMilli());
    }

    /** Dispatcher thread: a resource sample of some role process (core NATS; a lost one is just one sample fewer). */
    private void onResources(Message msg) {
        try {
            growth.add(Json.read(msg.getData(), ResourceSample.class));
        } catch (MalformedMessageException e) {
            LOG.warnf("ignoring a malformed resource sample on %s: %s", msg.getSubject(), e.getMessage());
        }
    }

    /** The per-role resource figures; growth thresholds fail only the final verdict, leaking restarts the live one too. */
    private Report withResources(Report r) {
        RunClock clock = run;
        Report out = r.withResources(growth.byRole(), r.last() ? growth.reasons() : growth.restartReasons()).withChaos(chaosLog.summary())
                .withNats(natsView.snapshot());
        return clock == null ? out : out.withStartup(verification.startup(clock.startedAtMillis()));
    }

    /** For tests and diagnostics: the resource-growth analysis fed by the samples. */
    public ResourceGrowth resourceGrowth() {
        return growth;
    }

    private final class MarksWatcher implements KeyValueWatcher {
        @Override
        public void watch(KeyValueEntry entry) {
            if (entry.getOperation() != KeyValueOperation.PUT || entry.getValue() == null) {
                return;
            }
            try {
                verification.onMarks(Json.read(entry.getValue(), ProducerMarks.class));
            } catch (MalformedMessageException e) {
                LOG.warnf("ignoring malformed producer marks under %s: %s", entry.getKey(), e.getMessage());
            }
        }

        @Override
        public void endOfData() {
            // Marks already in the bucket have been read; later puts keep arriving.
        }
    }

    /**
     * Reporter thread: the running totals on core NATS, which the chaos operator times each
     * fault's recovery against (a verified rate back to what it was before the fault).
     */
    private void publishProgress() {
        try {
            Connection c = connection;
            if (c != null) {
                c.publish(names.progressSubject(), Json.write(verification.progress(clock.millis())));
            }
        } catch (RuntimeException e) {
            LOG.debugf("cannot publish progress: %s", e);
        }
    }

    /** Reporter thread: expire, log progress, decide the verdict when the run is over. */
    private void tick() {
        try {
            ReceiptsFeed feed = receipts;
            if (feed != null) {
                feed.checkStalled();
            }
            lookAtNats(false);
            Verification v = verification;
            v.expire();
            Report live = v.report(config.runId(), elapsedSeconds(), false);
            if (finalReport != null) {
                return;
            }
            workDone();
            LOG.infof("progress: %s published %d verified %d in-flight %d gaps %d duplicates %d/%d (redelivered/unexplained) %.0f msg/s",
                    format(live.durationSeconds()), live.published(), live.verified(), live.inFlight(), live.gaps(),
                    live.duplicates().redelivered(), live.duplicates().unexplained(), live.throughputPerSecond());
            long now = clock.millis();
            if (run.timed() && now >= run.endsAtMillis()) {
                // Settled: everything published is verified. Gaps alone do not settle it: a late
                // receipt can still turn a gap back (a worker that is only starting, say).
                boolean settled = v.producersDone() && v.unverified() == 0;
                if (settled || quietForAWindow(now)) {
                    decide();
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "verifier report tick failed; will try again");
        }
    }

    /** The server the connection is on now and, every {@link #STREAMS_LOOK_INTERVAL_MILLIS} or when {@code now}, the streams. */
    private void lookAtNats(boolean now) {
        long t = clock.millis();
        boolean streams = now || t - streamsLookedAtMillis >= STREAMS_LOOK_INTERVAL_MILLIS;
        if (streams) {
            streamsLookedAtMillis = t;
        }
        natsView.look(connection, streams);
    }

    /**
     * The run is over but something is missing: decide once nothing has arrived for a whole
     * validation window (a verifier that starts late first catches up with the backlog).
     */
    private boolean quietForAWindow(long nowMillis) {
        long window = config.verifier().validationWindow().toMillis();
        if (nowMillis >= run.endsAtMillis() + Math.max(10 * window, GIVE_UP_AFTER.toMillis())) {
            return true; // workers never caught up: decide on what is known
        }
        // Quiet only counts once receipts flowed: workers that are still starting are not "quiet";
        // and only after the settle timeout, not one window: workers can be fenced or failing over.
        long settle = Math.max(window, config.verifier().settleTimeout().toMillis());
        return receivedSinceStart && nowMillis - lastArrivalMillis >= settle && nowMillis >= run.endsAtMillis() + window;
    }

    private synchronized void decide() {
        if (finalReport != null) {
            return;
        }
        lookAtNats(true);
        Verification v = verification;
        v.finish();
        Verification.Decided decided = v.decided(config.runId(), elapsedSeconds(), GapAttributor.Limits.DEFAULT.maxRanges());
        Report report = withResources(attributeGaps(decided));
        finalReport = report;
        LOG.infof("VERDICT %s%s", report.verdict(), report.reasons().isEmpty() ? "" : ": " + String.join("; ", report.reasons()));
        config.verifier().reportFile().ifPresent(file -> write(report, Path.of(file)));
        verdict.complete(report);
        onVerdict.accept(report);
    }

    /** The final report with its gaps attributed from the data stream (a report without gaps is returned as it is). */
    private Report attributeGaps(Verification.Decided decided) {
        Report report = decided.report();
        if (report.gaps() == 0) {
            return report;
        }
        Connection c = connection;
        if (c == null) {
            Report.GapAttribution none = GapAttributor.unattributed(decided.gapRanges(), report.gaps(), "the verifier had no NATS connection");
            return report.withGapAttribution(none, GapReasons.replace(report.reasons(), report, none));
        }
        long started = System.nanoTime();
        LOG.infof("attributing %d gap(s) in %d range(s) from the data stream", report.gaps(), decided.gapRanges().size());
        Report.GapAttribution a = new GapAttributor(new DataStreamFacts(c, names), verification::isVerified, GapAttributor.Limits.DEFAULT, System::nanoTime)
                .attribute(decided.gapRanges(), report.gaps());
        LOG.infof("gaps attributed in %d ms: %d lost by the server, %d lost in the pipeline, %d unprocessed, %d undetermined",
                (System.nanoTime() - started) / 1_000_000, a.lostByServer(), a.lostInPipeline(), a.unprocessed(), a.undetermined());
        return report.withGapAttribution(a, GapReasons.replace(report.reasons(), report, a));
    }

    private static void write(Report report, Path file) {
        if (Files.isDirectory(file)) {
            // The atomic replace below would delete an empty directory: never replace one.
            LOG.errorf("cannot write the report to %s: it is a directory (left as it is)", file);
            return;
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, Json.pretty(report));
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.errorf("cannot write the report to %s: %s", file, e.getMessage());
        }
    }

    @Override
    protected void dropConnection() {
        OwnedConnection.close(link);
    }

    @Override
    protected void doStop() {
        if (reporter != null) {
            reporter.close();
            reporter = null;
        }
        if (receipts != null) {
            receipts.close();
            receipts = null;
        }
        // After the reading stopped, so the last checkpoint holds everything applied.
        checkpointer.stop(!aborting());
        if (marksWatch != null) {
            marksWatch.close();
            marksWatch = null;
        }
        if (connection != null) {
            if (dispatcher != null) {
                chaosLog.stop(dispatcher);
                if (resourcesSubscription != null) {
                    try {
                        dispatcher.unsubscribe(resourcesSubscription);
                    } catch (RuntimeException e) {
                        LOG.debugf("unsubscribing from resource samples: %s", e);
                    }
                }
                Dispatchers.close(connection, dispatcher);
                dispatcher = null;
            }
            connection = null;
        }
        resourcesSubscription = null;
        if (link != null) {
            link.close();
            link = null;
        }
    }

    /** Stopped before the verdict (Ctrl-C, or a run without duration): give in-flight messages one window to land. */
    private void awaitSettled() {
        long deadline = System.nanoTime() + config.verifier().validationWindow().toNanos();
        Verification v = verification;
        while (System.nanoTime() < deadline && !(v.producersDone() && v.unverified() == 0)) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String format(double seconds) {
        long s = (long) seconds;
        return String.format("%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}

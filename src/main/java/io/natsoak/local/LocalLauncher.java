package io.natsoak.local;

import io.natsoak.config.ConfigValidator;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.local.chaos.LocalChaos;
import io.natsoak.model.Report;
import org.jboss.logging.Logger;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code ./natsoak local}: runs a {@link LocalTopology}, supervises it like a Deployment would (a
 * producer or worker process that dies is started again), prints a progress line, and at the
 * end (or on Ctrl-C) stops everything in order and prints the verdict.
 */
public final class LocalLauncher {

    private static final Logger LOG = Logger.getLogger(LocalLauncher.class);
    private static final long RESTART_DELAY_MS = 1_000;
    /** Exit codes from 128 up are a death by signal (128 + the signal's number): a crash, not a decision. */
    private static final int KILLED_BY_SIGNAL = 128;
    /** How long a node that is still catching up gets before its copies count as different. */
    private static final Duration REPLICA_PATIENCE = Duration.ofSeconds(30);

    private final NatsoakConfig config;
    private final String java;
    private final Path jar;
    private final PrintStream out;
    private volatile boolean interrupted;
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private volatile int exitCode = 1;
    private Optional<LocalPrometheus> prometheus = Optional.empty();
    private NatsServerChoice natsServer;

    public LocalLauncher(NatsoakConfig config, String java, Path jar, PrintStream out) {
        this.config = config;
        this.java = java;
        this.jar = jar;
        this.out = out;
    }

    /** The java executable and application jar this process runs from. */
    public static LocalLauncher fromCurrentProcess(NatsoakConfig config) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path jar = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.endsWith("quarkus-run.jar"))
                .map(Path::of)
                .findFirst()
                .orElseThrow(() -> new LaunchException("natsoak local must run from the packaged application (target/quarkus-app/quarkus-run.jar)"));
        return new LocalLauncher(config, java, jar.toAbsolutePath(), System.out);
    }

    /** Runs the soak; returns 0 on PASS, 1 on FAIL, 2 when it could not begin. */
    public int run() {
        Thread hook = new Thread(this::onInterrupt, "local-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        LocalTopology topology = null;
        try {
            natsServer = NatsServerChoice.of(config.local(), out);
            topology = new LocalTopology(config, natsServer.binary().toString(), java, jar, Files.createTempDirectory("natsoak-"), inheritedSettings());
            prometheus = LocalPrometheus.forRun(config, jar, topology, out);
            exitCode = runSoak(topology);
        } catch (LaunchException e) {
            out.println("natsoak: " + e.getMessage());
            exitCode = 2;
        } catch (Exception e) {
            out.println("natsoak: local run failed: " + e);
            LOG.debug("local run failed", e);
            exitCode = 1;
        } finally {
            prometheus.ifPresent(LocalPrometheus::stop);
            if (topology != null) {
                topology.close();
            }
            cleanedUp.countDown();
        }
        if (!interrupted) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        return exitCode;
    }

    /** Ctrl-C: let the main loop stop everything in order, then exit with the verdict's code. */
    private void onInterrupt() {
        interrupted = true;
        try {
            cleanedUp.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.flush();
        Runtime.getRuntime().halt(exitCode);
    }

    private int runSoak(LocalTopology topology) throws Exception {
        out.printf("natsoak local: run %s, %d partitions at %.1f msg/s, %d producers, %d workers, duration %s; logs in %s%n",
                config.runId(), config.partitions().count(), config.partitions().count() * config.partitions().rate(),
                config.producer().count(), config.worker().count(),
                config.duration().isZero() ? "until Ctrl-C" : ConfigValidator.human(config.duration()), topology.logs());
        out.printf("starting a %d-node NATS JetStream cluster of %s, the verifier, %d workers and %d producers%n",
                config.local().nodes(), natsServer.describe(), config.worker().count(), config.producer().count());
        topology.start();
        if (prometheus.isPresent()) {
            prometheus.get().start();
            out.println(prometheus.get().describe());
        }
        long started = System.nanoTime();
        long interval = config.local().progressInterval().toNanos();
        long nextProgress = started + interval;
        // The chaos operator runs in this process: its meters are served like a role's, so the chaos panels and alert work locally.
        LocalMetricsEndpoint chaosMetrics = new LocalMetricsEndpoint("chaos", LocalChaos.INSTANCE);
        try (chaosMetrics; LocalChaos chaos = LocalChaos.start(topology, out, chaosMetrics.registry())) {
            if (chaos.enabled() && prometheus.isPresent()) {
                chaosMetrics.start();
                prometheus.get().addTarget(chaosMetrics.port());
            }
            while (!interrupted && (topology.verifier().isAlive() || restartCrashedVerifier(topology))) {
                superviseRestarts(topology);
                superviseNats(topology);
                prometheus.ifPresent(p -> p.supervise(out));
                if (System.nanoTime() >= nextProgress) {
                    out.println(progressLine(topology, started));
                    nextProgress += interval;
                }
                Thread.sleep(200);
            }
        }
        if (interrupted) {
            out.println("interrupted: stopping producers, then asking the verifier for its verdict");
        }
        Optional<Report> report = topology.finish();
        if (report.isEmpty()) {
            out.printf("VERDICT FAIL: the verifier produced no report (exit code %d; see %s)%n", topology.verifier().exitCode(),
                    topology.verifier().log());
            return 1;
        }
        Report r = report.get();
        out.printf("VERDICT %s%s%n", r.verdict(), r.reasons().isEmpty() ? "" : ": " + String.join("; ", r.reasons()));
        out.printf("published %d, verified %d, gaps %d, duplicates %d redelivered / %d unexplained, %.0f msg/s, "
                        + "latency p50 %.1f ms p99 %.1f ms max %.1f ms%n",
                r.published(), r.verified(), r.gaps(), r.duplicates().redelivered(), r.duplicates().unexplained(), r.throughputPerSecond(),
                r.latencyMillis().p50(), r.latencyMillis().p99(), r.latencyMillis().max());
        Report.GapAttribution gapCauses = r.gapAttribution();
        if (gapCauses != null) {
            out.printf("gaps by cause: %d lost by the server, %d lost in the pipeline, %d unprocessed (still in the stream), %d undetermined%n",
                    gapCauses.lostByServer(), gapCauses.lostInPipeline(), gapCauses.unprocessed(), gapCauses.undetermined());
        }
        if (r.chaos() != null) {
            r.chaos().describeRecovery().ifPresent(out::println);
        }
        out.println(NatsJudged.judged(r.nats()));
        out.println(NatsJudged.nodes(topology.cluster()));
        config.verifier().reportFile().ifPresent(f -> out.println("report written to " + f));
        // Once nothing writes any more, every node must hold the same copy of every stream.
        topology.stopRoles();
        out.println(ReplicaAgreement.check(topology.cluster(), REPLICA_PATIENCE).describe());
        return r.passed() ? 0 : 1;
    }

    /** Every natsoak.* setting this launcher was given as a system property, for the role processes. */
    private static Map<String, String> inheritedSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("natsoak.") && !k.equals("natsoak.role") && !k.startsWith("natsoak.local."))
                .forEach(k -> settings.put(k, System.getProperty(k)));
        return settings;
    }

    private void superviseRestarts(LocalTopology topology) throws IOException {
        for (RoleProcess p : concat(topology.producers(), topology.workers())) {
            // A worker removed by scaling is no longer supervised (it may die after the snapshot).
            if (!p.isAlive() && !interrupted && (p.role().equals("producer") || topology.workers().contains(p))) {
                out.printf("%s exited with code %d; restarting it (see %s)%n", p.name(), p.exitCode(), p.log());
                sleep(RESTART_DELAY_MS);
                p.start();
            }
        }
    }

    /**
     * A verifier killed by a signal (SIGKILL, a chaos {@code verifier_crash}, the OOM killer) never
     * decided: start it again, as its Deployment would, and it resumes from its checkpoint. Any
     * other exit is the verifier's own (0 PASS, 1 FAIL, 2 bad settings, 3 a refused checkpoint) and ends the run.
     *
     * @return true when it was started again
     */
    private boolean restartCrashedVerifier(LocalTopology topology) throws IOException {
        RoleProcess verifier = topology.verifier();
        int code = verifier.exitCode();
        if (code < KILLED_BY_SIGNAL || interrupted) {
            return false;
        }
        out.printf("verifier exited with code %d (killed); restarting it, it resumes from its checkpoint (see %s)%n", code, verifier.log());
        sleep(RESTART_DELAY_MS);
        verifier.start();
        return true;
    }

    /**
     * A nats-server node that died although nobody stopped it (the chaos backend's own node kills
     * are restarted by the backend) is started again with its store, as its StatefulSet would.
     */
    private void superviseNats(LocalTopology topology) {
        NatsCluster cluster = topology.cluster();
        for (int i = 0; i < cluster.size() && !interrupted; i++) {
            if (cluster.diedUnexpectedly(i)) {
                out.printf("NATS node %d died; restarting it with its data%n", i);
                try {
                    cluster.restart(i);
                } catch (RuntimeException e) {
                    out.printf("NATS node %d could not be restarted (%s); trying again%n", i, e.getMessage());
                }
            }
        }
    }

    private String progressLine(LocalTopology topology, long startedNanos) {
        StringBuilder line = new StringBuilder();
        long elapsed = (System.nanoTime() - startedNanos) / 1_000_000_000L;
        line.append('[').append(hms(elapsed));
        if (!config.duration().isZero()) {
            line.append(" / ").append(hms(config.duration().toSeconds()));
        }
        line.append("] ");
        topology.liveReport().ifPresentOrElse(r -> line.append(String.format(
                "published %d verified %d in-flight %d gaps %d dup %d/%d %.0f msg/s", r.published(), r.verified(), r.inFlight(), r.gaps(),
                r.duplicates().redelivered(), r.duplicates().unexplained(), r.throughputPerSecond())), () -> line.append("verifier starting"));
        line.append(" | threads/RSS");
        appendStats(line, "producer", topology.producers());
        appendStats(line, "worker", topology.workers());
        appendStats(line, "verifier", List.of(topology.verifier()));
        return line.toString();
    }

    private static void appendStats(StringBuilder line, String role, List<RoleProcess> processes) {
        int threads = 0;
        long rss = 0;
        int alive = 0;
        for (RoleProcess p : processes) {
            Optional<ProcessStats> s = p.isAlive() ? ProcessStats.of(p.pid()) : Optional.empty();
            if (s.isPresent()) {
                threads += s.get().threads();
                rss += s.get().rssBytes();
                alive++;
            }
        }
        line.append(String.format(" %s %dx %dt %dMB", role, alive, threads, rss / (1024 * 1024)));
    }

    private static String hms(long seconds) {
        return String.format("%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
    }

    private static List<RoleProcess> concat(List<RoleProcess> a, List<RoleProcess> b) {
        List<RoleProcess> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A problem the user can fix, phrased as one line. */
    public static final class LaunchException extends RuntimeException {
        public LaunchException(String message) {
            super(message, null, false, false);
        }
    }
}

package io.natsoak.local;

import io.natsoak.config.NatsoakConfig;
import io.natsoak.model.Json;
import io.natsoak.verifier.Report;
import org.jboss.logging.Logger;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code ./natsoak local}: the whole soak on one machine. Starts a nats-server cluster and
 * every role as a separate OS process of this same application (composed exactly as in
 * Kubernetes, no in-process shortcuts), supervises them like a Deployment would (a role
 * process that dies is started again), prints progress, and at the end stops everything in
 * order: producers, then the verifier (which decides), then workers, then NATS.
 */
public final class LocalLauncher {

    private static final Logger LOG = Logger.getLogger(LocalLauncher.class);
    private static final long RESTART_DELAY_MS = 1_000;
    private static final long STOP_GRACE_SECONDS = 60;

    private final NatsoakConfig config;
    private final String java;
    private final Path jar;
    private final PrintStream out;
    private final List<RoleProcess> producers = new ArrayList<>();
    private final List<RoleProcess> workers = new ArrayList<>();
    private RoleProcess verifier;
    private NatsCluster cluster;
    private Path workDir;
    private Path reportFile;
    private volatile boolean interrupted;
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private volatile int exitCode = 1;

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
                .orElseThrow(() -> new IllegalStateException("natsoak local must run from the packaged application (target/quarkus-app/quarkus-run.jar)"));
        return new LocalLauncher(config, java, jar.toAbsolutePath(), System.out);
    }

    /** Runs the soak; returns 0 on PASS, 1 on FAIL. */
    public int run() {
        Thread hook = new Thread(this::onInterrupt, "local-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            exitCode = runSoak();
        } catch (LaunchException e) {
            out.println("natsoak: " + e.getMessage());
            exitCode = 2;
        } catch (Exception e) {
            out.println("natsoak: local run failed: " + e);
            LOG.debug("local run failed", e);
            exitCode = 1;
        } finally {
            stopAll();
            cleanedUp.countDown();
        }
        if (!interrupted) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        return exitCode;
    }

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

    private int runSoak() throws Exception {
        String natsServer = NatsServerInstaller.ensure(config.local().natsServer(), out);
        workDir = Files.createTempDirectory("natsoak-");
        Path logs = Files.createDirectories(workDir.resolve("logs"));
        reportFile = config.verifier().reportFile().map(Path::of).orElse(workDir.resolve("report.json"));
        Files.deleteIfExists(reportFile);
        out.printf("natsoak local: run %s, %d partitions at %.1f msg/s, %d producers, %d workers, duration %s; logs in %s%n",
                config.runId(), config.partitions().count(), config.partitions().count() * config.partitions().rate(),
                config.producer().count(), config.worker().count(), config.duration().isZero() ? "until Ctrl-C" : io.natsoak.config.ConfigValidator.human(config.duration()), logs);
        cluster = new NatsCluster(natsServer, workDir.resolve("nats"), config.local().nodes(), config.local().keepData());
        out.printf("starting a %d-node NATS JetStream cluster%n", config.local().nodes());
        cluster.start();
        String urls = String.join(",", cluster.clientUrls());

        Map<String, String> common = inheritedSettings();
        common.put("natsoak.nats.urls", urls);
        common.put("natsoak.local.parent-pid", Long.toString(ProcessHandle.current().pid()));

        Map<String, String> v = new LinkedHashMap<>(common);
        v.put("natsoak.instance", "verifier");
        v.put("natsoak.verifier.exit-on-verdict", "true");
        v.put("natsoak.verifier.report-file", reportFile.toString());
        verifier = new RoleProcess("verifier", "verifier", java, config.local().jvmOptions(), jar, v, logs, freePort());
        verifier.start();
        for (int i = 0; i < config.worker().count(); i++) {
            workers.add(process("worker", i, common, logs));
        }
        for (int i = 0; i < config.producer().count(); i++) {
            producers.add(process("producer", i, common, logs));
        }
        out.printf("started the verifier, %d workers and %d producers%n", workers.size(), producers.size());

        long started = System.nanoTime();
        long interval = config.local().progressInterval().toNanos();
        long nextProgress = started + interval;
        while (!interrupted) {
            if (!verifier.isAlive()) {
                break;
            }
            superviseRestarts();
            if (System.nanoTime() >= nextProgress) {
                out.println(progressLine(started));
                nextProgress += interval;
            }
            Thread.sleep(200);
        }
        if (interrupted) {
            out.println("interrupted: stopping producers, then asking the verifier for its verdict");
        }
        return finish();
    }

    private RoleProcess process(String role, int index, Map<String, String> common, Path logs) throws IOException {
        Map<String, String> s = new LinkedHashMap<>(common);
        s.put("natsoak.instance", role + "-" + index);
        s.put("natsoak." + role + ".index", Integer.toString(index));
        RoleProcess p = new RoleProcess(role + "-" + index, role, java, config.local().jvmOptions(), jar, s, logs, freePort());
        p.start();
        return p;
    }

    /** Every natsoak.* setting this launcher was given as a system property, for the role processes. */
    private static Map<String, String> inheritedSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("natsoak.") && !k.equals("natsoak.role") && !k.startsWith("natsoak.local."))
                .forEach(k -> settings.put(k, System.getProperty(k)));
        return settings;
    }

    /** Like a Deployment: a producer or worker that died is started again. */
    private void superviseRestarts() throws IOException {
        for (RoleProcess p : concat(producers, workers)) {
            if (!p.isAlive()) {
                out.printf("%s exited with code %d; restarting it (see %s)%n", p.name(), p.exitCode(), p.log());
                sleep(RESTART_DELAY_MS);
                p.start();
            }
        }
    }

    /** Producers first (they report their last marks), then the verifier decides, then the rest. */
    private int finish() throws IOException {
        for (RoleProcess p : producers) {
            p.terminate(STOP_GRACE_SECONDS);
        }
        if (verifier != null && verifier.isAlive()) {
            verifier.terminate(STOP_GRACE_SECONDS);
        }
        Optional<Report> report = readReport();
        if (report.isEmpty()) {
            out.printf("VERDICT FAIL: the verifier produced no report (exit code %d; see %s)%n", verifier.exitCode(), verifier.log());
            return 1;
        }
        Report r = report.get();
        out.printf("VERDICT %s%s%n", r.verdict(), r.reasons().isEmpty() ? "" : ": " + String.join("; ", r.reasons()));
        out.printf("published %d, verified %d, gaps %d, duplicates %d redelivered / %d unexplained, %.0f msg/s, latency p50 %.1f ms p99 %.1f ms max %.1f ms%n",
                r.published(), r.verified(), r.gaps(), r.duplicates().redelivered(), r.duplicates().unexplained(), r.throughputPerSecond(),
                r.latencyMillis().p50(), r.latencyMillis().p99(), r.latencyMillis().max());
        config.verifier().reportFile().ifPresent(f -> out.println("report written to " + f));
        return r.passed() ? 0 : 1;
    }

    private Optional<Report> readReport() {
        try {
            return Files.exists(reportFile) ? Optional.of(Json.MAPPER.readValue(reportFile.toFile(), Report.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void stopAll() {
        for (RoleProcess p : concat(producers, workers)) {
            p.terminate(STOP_GRACE_SECONDS);
        }
        if (verifier != null) {
            verifier.terminate(STOP_GRACE_SECONDS);
        }
        if (cluster != null) {
            cluster.close();
        }
        if (workDir != null && !config.local().keepData()) {
            deleteTree(workDir, reportFile);
        }
    }

    private String progressLine(long startedNanos) {
        StringBuilder line = new StringBuilder();
        long elapsed = (System.nanoTime() - startedNanos) / 1_000_000_000L;
        line.append('[').append(hms(elapsed));
        if (!config.duration().isZero()) {
            line.append(" / ").append(hms(config.duration().toSeconds()));
        }
        line.append("] ");
        fetchReport().ifPresentOrElse(r -> line.append(String.format(
                "published %d verified %d in-flight %d gaps %d dup %d/%d %.0f msg/s", r.published(), r.verified(), r.inFlight(), r.gaps(),
                r.duplicates().redelivered(), r.duplicates().unexplained(), r.throughputPerSecond())), () -> line.append("verifier starting"));
        line.append(" | threads/RSS");
        appendStats(line, "producer", producers);
        appendStats(line, "worker", workers);
        appendStats(line, "verifier", verifier == null ? List.of() : List.of(verifier));
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

    private Optional<Report> fetchReport() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + verifier.httpPort() + "/q/natsoak/report").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try (InputStream in = c.getInputStream()) {
                return Optional.of(Json.MAPPER.readValue(in, Report.class));
            } finally {
                c.disconnect();
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String hms(long seconds) {
        return String.format("%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
    }

    private static List<RoleProcess> concat(List<RoleProcess> a, List<RoleProcess> b) {
        List<RoleProcess> all = new ArrayList<>(a);
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

    private static void deleteTree(Path dir, Path keep) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .filter(p -> !p.equals(keep) && !(keep != null && keep.startsWith(p)))
                    .forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("could not remove %s: %s", dir, e.getMessage());
        }
    }

    /** A problem the user can fix, phrased as one line. */
    public static final class LaunchException extends RuntimeException {
        public LaunchException(String message) {
            super(message, null, false, false);
        }
    }
}

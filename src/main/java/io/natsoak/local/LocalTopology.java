package io.natsoak.local;

import io.natsoak.config.NatsoakConfig;
import io.natsoak.model.Json;
import io.natsoak.model.Report;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The parts of a local soak: a nats-server cluster and every role as a separate OS process of
 * the same application, composed as they are in Kubernetes. The launcher and the scenario tests
 * both build on it, so tests exercise exactly what users run.
 */
public final class LocalTopology implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LocalTopology.class);
    /** Covers a worker's drain (receipts flushed, positions committed) and the verifier's final window. */
    public static final long STOP_GRACE_SECONDS = 90;

    private final NatsoakConfig config;
    private final String natsServer;
    private final String java;
    private final Path jar;
    private final Path workDir;
    private final Path logs;
    private final Path reportFile;
    private final Map<String, String> settings;
    private final List<RoleProcess> producers = new ArrayList<>();
    /** Changed by the chaos operator's scaling while the launcher supervises it: copy-on-write. */
    private final List<RoleProcess> workers = new CopyOnWriteArrayList<>();
    private RoleProcess verifier;
    private NatsCluster cluster;

    /**
     * @param settings natsoak.* settings handed to every role process (the cluster's URLs are added)
     * @param workDir  a directory this topology owns: NATS data, logs, and the report unless configured elsewhere
     */
    public LocalTopology(NatsoakConfig config, String natsServer, String java, Path jar, Path workDir, Map<String, String> settings)
            throws IOException {
        this.config = config;
        this.natsServer = natsServer;
        this.java = java;
        this.jar = jar;
        this.workDir = workDir;
        this.logs = Files.createDirectories(workDir.resolve("logs"));
        this.reportFile = config.verifier().reportFile().map(Path::of).orElse(workDir.resolve("report.json"));
        this.settings = new LinkedHashMap<>(settings);
    }

    public void start() throws IOException {
        Files.deleteIfExists(reportFile);
        cluster = new NatsCluster(natsServer, workDir.resolve("nats"), config.local().nodes(), config.local().keepData());
        cluster.start();
        settings.put("natsoak.nats.urls", String.join(",", cluster.clientUrls()));
        settings.put("natsoak.local.parent-pid", Long.toString(ProcessHandle.current().pid()));

        Map<String, String> v = new LinkedHashMap<>(settings);
        v.put("natsoak.instance", "verifier");
        v.put("natsoak.verifier.exit-on-verdict", "true");
        v.put("natsoak.verifier.report-file", reportFile.toString());
        verifier = new RoleProcess("verifier", "verifier", java, config.local().jvmOptions(), jar, v, logs, freePort());
        verifier.start();
        for (int i = 0; i < config.worker().count(); i++) {
            workers.add(process("worker", i));
        }
        for (int i = 0; i < config.producer().count(); i++) {
            producers.add(process("producer", i));
        }
    }

    private RoleProcess process(String role, int index) throws IOException {
        Map<String, String> s = new LinkedHashMap<>(settings);
        s.put("natsoak.instance", role + "-" + index);
        s.put("natsoak." + role + ".index", Integer.toString(index));
        RoleProcess p = new RoleProcess(role + "-" + index, role, java, config.local().jvmOptions(), jar, s, logs, freePort());
        p.start();
        return p;
    }

    /**
     * Scaling (the local chaos backend): one more worker process, named after the highest index so
     * far. Managed workers take their ids from the partition manager, so it gets no index.
     */
    public synchronized RoleProcess addWorker() throws IOException {
        int next = workers.stream().mapToInt(w -> Integer.parseInt(w.name().substring("worker-".length()))).max().orElse(-1) + 1;
        Map<String, String> s = new LinkedHashMap<>(settings);
        s.put("natsoak.instance", "worker-" + next);
        s.put("natsoak.worker.index", "-1");
        RoleProcess p = new RoleProcess("worker-" + next, "worker", java, config.local().jvmOptions(), jar, s, logs, freePort());
        p.start();
        workers.add(p);
        return p;
    }

    /** Scaling down: the worker leaves the supervised set first (so nobody restarts it), then stops gracefully. */
    public void removeWorker(RoleProcess worker) {
        synchronized (this) {
            if (!workers.remove(worker)) {
                return;
            }
        }
        worker.terminate(STOP_GRACE_SECONDS);
    }

    /** The natsoak.* settings every role process gets (the cluster's URLs included once started). */
    public Map<String, String> roleSettings() {
        return Map.copyOf(settings);
    }

    public NatsCluster cluster() {
        return cluster;
    }

    public List<RoleProcess> producers() {
        return List.copyOf(producers);
    }

    public List<RoleProcess> workers() {
        return List.copyOf(workers);
    }

    public RoleProcess verifier() {
        return verifier;
    }

    public Path logs() {
        return logs;
    }

    /** The directory this topology owns and removes on close (unless natsoak.local.keep-data). */
    public Path workDir() {
        return workDir;
    }

    /** Every role process. */
    public List<RoleProcess> processes() {
        List<RoleProcess> all = new ArrayList<>(producers);
        all.addAll(workers);
        if (verifier != null) {
            all.add(verifier);
        }
        return all;
    }

    /** The verifier's live report over HTTP; empty while it is starting or gone. */
    public Optional<Report> liveReport() {
        if (verifier == null) {
            return Optional.empty();
        }
        try {
            HttpGet.Answer answer = HttpGet.get("http://127.0.0.1:" + verifier.httpPort() + "/q/natsoak/report",
                    Duration.ofSeconds(1), Duration.ofSeconds(2));
            return answer.code() == 200 ? Optional.of(Json.MAPPER.readValue(answer.body(), Report.class)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The final report the verifier wrote, if it has. */
    public Optional<Report> finalReport() {
        try {
            return Files.exists(reportFile) ? Optional.of(Json.MAPPER.readValue(reportFile.toFile(), Report.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Ends the run in order: producers stop (reporting their last marks), the verifier decides
     * (it exits by itself at the end of a timed run, or on SIGTERM), and its report is returned.
     */
    public Optional<Report> finish() {
        for (RoleProcess p : producers) {
            p.terminate(STOP_GRACE_SECONDS);
        }
        if (verifier != null && verifier.isAlive()) {
            verifier.terminate(STOP_GRACE_SECONDS);
        }
        return finalReport();
    }

    /** Stops every role process (workers too), leaving NATS running. */
    public void stopRoles() {
        for (RoleProcess p : processes()) {
            p.terminate(STOP_GRACE_SECONDS);
        }
    }

    /** Stops every process and NATS, and removes the work directory unless asked to keep it; keeps the report file. */
    @Override
    public void close() {
        stopRoles();
        if (cluster != null) {
            cluster.close();
        }
        if (!config.local().keepData()) {
            deleteTree(workDir, reportFile);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir, Path keep) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .filter(p -> !p.equals(keep) && !keep.startsWith(p))
                    .forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("could not remove %s: %s", dir, e.getMessage());
        }
    }
}

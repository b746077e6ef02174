package io.natsoak.local;

import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.GuardedComponent;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code ./natsoak local --prometheus}: a real Prometheus (the Debian package's binary) that scrapes
 * every role process of a local run at {@code /q/metrics} and evaluates natsoak's alert rules
 * (observability/natsoak-rules.yml of the checkout the application was built from), so the
 * dashboards and alerts can be tried on one machine. Its targets are a file (file_sd) that
 * {@link #refreshTargets()} rewrites when the run's processes change; its data lives in the run's
 * work directory; {@link #stop()} ends the process. It starts no thread: the launcher's loop drives it.
 */
public final class LocalPrometheus extends GuardedComponent {

    /** The scrape job; every series carries job="natsoak" and instance="127.0.0.1:port". */
    public static final String JOB = "natsoak";
    /** Prometheus' usual port, taken when free so the URL stays the same from run to run. */
    public static final int PREFERRED_PORT = 9090;
    /** Scrape and rule evaluation interval of a local run (the rules assume 1 min or less). */
    public static final Duration LOCAL_INTERVAL = Duration.ofSeconds(5);
    static final String RULES = "observability/natsoak-rules.yml";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration PROBE_CONNECT = Duration.ofMillis(500);
    private static final Duration PROBE_READ = Duration.ofSeconds(1);
    private static final int START_ATTEMPTS = 3;

    private final Path binary;
    private final Path rules;
    private final Path dir;
    private final Path log;
    private final Duration interval;
    private final int preferredPort;
    private final Supplier<List<RoleProcess>> processes;
    private final Path targetsFile;
    /** Endpoints besides the role processes: the launcher's own (its chaos operator). */
    private final List<Integer> extraPorts = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Process process;
    private volatile int port;
    private List<String> writtenTargets = List.of();
    private boolean exitReported;
    private boolean targetsFailureReported;

    /**
     * @param dir           for its configuration, targets file and data (created)
     * @param preferredPort the port to take when it is free; 0 for any free port
     * @param processes     the run's role processes, asked again on every {@link #refreshTargets()}
     */
    public LocalPrometheus(Path binary, Path rules, Path dir, Path logDir, Duration interval, int preferredPort,
                           Supplier<List<RoleProcess>> processes) {
        super("prometheus");
        this.binary = binary;
        this.rules = rules.toAbsolutePath();
        this.dir = dir.toAbsolutePath();
        this.log = logDir.toAbsolutePath().resolve("prometheus.log");
        this.interval = interval;
        this.preferredPort = preferredPort;
        this.processes = processes;
        this.targetsFile = this.dir.resolve("targets.json");
    }

    /**
     * The local Prometheus of a run when natsoak.local.prometheus asks for one. Checks before
     * anything starts that the binary (installed with apt-get when missing, as root) and the rules file exist.
     *
     * @param out where the installation's progress is shown
     * @throws LocalLauncher.LaunchException one line saying what is missing and how to get it
     */
    public static Optional<LocalPrometheus> forRun(NatsoakConfig config, Path jar, LocalTopology topology, PrintStream out) {
        if (!config.local().prometheus()) {
            return Optional.empty();
        }
        String configured = config.local().prometheusBinary();
        Path binary = findOrInstall(configured, out);
        Path rules = rulesOf(jar).orElseThrow(() -> new LocalLauncher.LaunchException(
                "--prometheus: the alert rules " + RULES + " are missing next to " + jar
                        + "; run natsoak from its checkout (./natsoak local --prometheus)"));
        return Optional.of(new LocalPrometheus(binary, rules, topology.workDir().resolve("prometheus"), topology.logs(),
                LOCAL_INTERVAL, PREFERRED_PORT, topology::processes));
    }

    /**
     * The prometheus binary; when the default name is not found, installs the Debian package as root
     * with apt-get and stops the server the package may have started (this run starts its own).
     */
    private static Path findOrInstall(String configured, PrintStream out) {
        Optional<Path> found = findBinary(configured);
        if (found.isPresent()) {
            return found.get();
        }
        String notFound = "--prometheus: prometheus not found (natsoak.local.prometheus-binary=" + configured + "); ";
        String instead = notFound + "install it (Debian/Ubuntu: apt-get install prometheus) or set natsoak.local.prometheus-binary to its path";
        if (!configured.strip().equals("prometheus")) {
            throw new LocalLauncher.LaunchException(instead); // another binary than the package's: installing the package would not help
        }
        if (!AptInstall.possible()) {
            throw new LocalLauncher.LaunchException(instead + " (as root on Debian/Ubuntu natsoak installs it)");
        }
        try {
            AptInstall.install("prometheus", "set natsoak.local.prometheus-binary to its path", out);
            stopPackageService();
        } catch (IOException e) {
            throw new LocalLauncher.LaunchException(notFound + "apt-get could not run (" + OneLine.of(e) + "); install it by hand "
                    + "(apt-get install prometheus) or set natsoak.local.prometheus-binary to its path");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalLauncher.LaunchException(notFound + "interrupted while installing it");
        }
        return findBinary(configured).orElseThrow(() -> new LocalLauncher.LaunchException(notFound
                + "apt-get installed the package but there is still no prometheus on the PATH or in /usr/bin"));
    }

    /** The Debian package starts a server on :9090 where systemd runs; the run starts its own, so that one is stopped. */
    private static void stopPackageService() throws IOException, InterruptedException {
        if (NatsBinary.onPath("systemctl").isPresent()) {
            Process p = new ProcessBuilder("systemctl", "stop", "prometheus").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor();
        }
    }

    /** The rules file of the checkout the application jar (target/quarkus-app/quarkus-run.jar) was built in. */
    static Optional<Path> rulesOf(Path jar) {
        Path checkout = jar.toAbsolutePath().getParent();
        for (int up = 0; up < 2 && checkout != null; up++) {
            checkout = checkout.getParent();
        }
        return Optional.ofNullable(checkout).map(c -> c.resolve(RULES)).filter(Files::isRegularFile);
    }

    /** A path to an executable file, or a name looked up on PATH and in /usr/bin (where the Debian package puts it). */
    static Optional<Path> findBinary(String configured) {
        String name = configured == null || configured.isBlank() ? "prometheus" : configured.trim();
        if (name.contains("/")) {
            Path p = Path.of(name);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p.toAbsolutePath()) : Optional.empty();
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, name))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }

    @Override
    protected void doStart() throws Exception {
        Files.createDirectories(dir);
        exitReported = false;
        targetsFailureReported = false;
        writeConfig();
        writtenTargets = List.of();
        refreshTargets();
        int candidate = preferredPort > 0 && isFree(preferredPort) ? preferredPort : freePort();
        for (int attempt = 1; ; attempt++) {
            port = candidate;
            List<String> command = List.of(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--log.level=warn");
            // its own session, like NATS and the roles: Ctrl-C reaches only the launcher, which stops it after the verdict
            process = new ProcessBuilder(Detached.command(command)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (awaitReady()) {
                return;
            }
            String last = lastLogLine();
            stopProcess();
            // the port was free when chosen but taken before Prometheus bound it: try another
            if (attempt < START_ATTEMPTS && last.contains("address already in use")) {
                candidate = freePort();
                continue;
            }
            throw new LocalLauncher.LaunchException("--prometheus: Prometheus did not become ready on port " + port + " ("
                    + (last.isEmpty() ? "no output" : last) + "); see " + log);
        }
    }

    @Override
    protected void doStop() {
        stopProcess();
    }

    private void stopProcess() {
        Process p = process;
        if (p != null) {
            ProcessStop.stop("Prometheus", p, STOP_GRACE);
        }
    }

    /** Scrapes one more endpoint on this machine (the launcher's chaos operator), from the next refresh on. */
    public void addTarget(int port) {
        extraPorts.add(port);
    }

    /**
     * Writes the targets file when the run's processes (their ports) changed, e.g. after a scale-up;
     * Prometheus re-reads it by itself. Written whole and renamed, so it never sees half a file.
     */
    public synchronized void refreshTargets() throws IOException {
        List<String> targets = java.util.stream.Stream.concat(processes.get().stream().map(RoleProcess::httpPort), extraPorts.stream())
                .map(port -> "127.0.0.1:" + port).distinct().sorted().toList();
        if (targets.equals(writtenTargets)) {
            return;
        }
        String json = "[{\"targets\": [" + targets.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(", "))
                + "], \"labels\": {}}]\n";
        Path tmp = dir.resolve("targets.json.tmp");
        Files.writeString(tmp, json, StandardCharsets.UTF_8);
        Files.move(tmp, targetsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        writtenTargets = targets;
    }

    /**
     * For the launcher's loop: keeps the targets current and says once if Prometheus has exited or
     * its targets cannot be written. Never throws: the soak goes on without a working Prometheus.
     */
    public void supervise(PrintStream out) {
        if (state() != State.RUNNING) {
            return;
        }
        try {
            refreshTargets();
        } catch (IOException e) {
            if (!targetsFailureReported) {
                targetsFailureReported = true;
                out.printf("Prometheus' targets cannot be updated (%s); it goes on scraping the old ones%n", e.getMessage());
            }
        }
        Process p = process;
        if (p != null && !p.isAlive() && !exitReported) {
            exitReported = true;
            out.printf("Prometheus exited with code %d; the run goes on without it (see %s)%n", p.exitValue(), log);
        }
    }

    private void writeConfig() throws IOException {
        String every = interval.toMillis() + "ms";
        Files.writeString(dir.resolve("prometheus.yml"), """
                # Written by natsoak local --prometheus for this run only.
                global:
                  scrape_interval: %1$s
                  scrape_timeout: %1$s
                  evaluation_interval: %1$s
                rule_files:
                  - '%2$s'
                scrape_configs:
                  # No target labels besides job and instance: natsoak's own role and instance_name tags stay as they are.
                  - job_name: %3$s
                    metrics_path: /q/metrics
                    file_sd_configs:
                      - files: ['%4$s']
                        refresh_interval: %1$s
                """.formatted(every, rules, JOB, targetsFile), StandardCharsets.UTF_8);
    }

    /** Polls /-/ready (no thread of its own); false when the process exits or the time is up first. */
    private boolean awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            if (HttpGet.status(url() + "/-/ready", PROBE_CONNECT, PROBE_READ) == 200) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private String lastLogLine() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i).strip();
                }
            }
        } catch (IOException e) {
            // no log: nothing to quote
        }
        return "";
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort() == port;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The Prometheus process' pid, -1 before the first start. */
    public long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    public Path log() {
        return log;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    /** What the launcher prints once it is up. */
    public String describe() {
        return String.format("Prometheus at %s: scrapes %d processes every %ds with natsoak's alert rules (%s); alerts at %s/alerts; log %s",
                url(), writtenTargets.size(), interval.toSeconds(), rules, url(), log);
    }
}

package io.natsoak.local;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;

/**
 * Starts and controls a real nats-server JetStream cluster (N >= 1 nodes) on the loopback interface.
 * <p>
 * Every node gets three fixed loopback ports (client, cluster route, HTTP monitoring) chosen once, so a
 * node that is killed/terminated and {@link #restart(int) restarted} comes back on the same ports with
 * the same store directory. The cluster owns {@code baseDir}: it is created if missing and deleted on
 * {@link #close()} unless {@code keepData} is set.
 * <p>
 * No threads, shutdown hooks or other global state: the caller owns the lifecycle and must call
 * {@link #close()}.
 */
public final class NatsCluster implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NatsCluster.class);

    private static final String BINARY_NAME = "nats-server";
    private static final List<String> EXTRA_BINARY_DIRS = List.of("/usr/sbin", "/usr/local/bin", "/usr/bin");
    private static final String CLUSTER_NAME = "natsoak";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration GRACEFUL_STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final long POLL_INTERVAL_MS = 100;
    /** Attempts for the initial start when a freshly chosen port got taken by someone else meanwhile. */
    private static final int MAX_START_ATTEMPTS = 3;
    private static final int LOG_TAIL_LINES = 15;
    private static final int LOG_TAIL_MAX_CHARS = 3000;

    private final String binary;
    private final Path baseDir;
    private final int nodes;
    private final boolean keepData;

    private final Node[] node;
    private String resolvedBinary;
    private boolean started;
    private boolean closed;

    /**
     * @param binary   path or command name of nats-server
     * @param baseDir  a directory this cluster owns (created if missing; deleted on close unless keepData)
     * @param nodes    number of nodes, at least 1
     * @param keepData keep {@code baseDir} (configs, stores, logs) after {@link #close()}
     */
    public NatsCluster(String binary, Path baseDir, int nodes, boolean keepData) {
        if (binary == null || binary.isBlank()) {
            throw new IllegalArgumentException("nats-server binary must not be blank");
        }
        Objects.requireNonNull(baseDir, "baseDir");
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
        }
        this.binary = binary;
        this.baseDir = baseDir.toAbsolutePath().normalize();
        this.nodes = nodes;
        this.keepData = keepData;
        this.node = new Node[nodes];
        for (int i = 0; i < nodes; i++) {
            Path dir = this.baseDir.resolve("node-" + i);
            node[i] = new Node(i, dir, dir.resolve("nats.conf"), dir.resolve("store"), dir.resolve("server.log"));
        }
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /**
     * Starts every node and waits (bounded, 30 s) until each node's {@code /healthz?js-enabled-only=true}
     * answers 200 and a client connected to node 0 can get JetStream account info.
     *
     * @throws IllegalStateException with a one-line message (including the failing node's log tail) on failure
     */
    public synchronized void start() {
        ensureOpen();
        if (started) {
            throw new IllegalStateException("NatsCluster already started (baseDir " + baseDir + ")");
        }
        resolvedBinary = findBinary(binary).orElseThrow(() -> new IllegalStateException(
                "nats-server binary not found (configured '" + binary + "', searched PATH and "
                        + String.join(", ", EXTRA_BINARY_DIRS) + "); install it, e.g. apt-get install nats-server"));
        try {
            Files.createDirectories(baseDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create NATS cluster dir " + baseDir + ": " + oneLine(e), e);
        }
        long t0 = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                startAllOnce();
                started = true;
                LOG.infof("NATS cluster of %d node(s) ready in %d ms: %s (dir %s)", nodes,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), clientUrls(), baseDir);
                return;
            } catch (PortConflictException e) {
                stopAll(Duration.ZERO);
                if (attempt >= MAX_START_ATTEMPTS) {
                    throw new IllegalStateException(e.getMessage());
                }
                LOG.warnf("NATS cluster start attempt %d hit a port conflict, retrying with new ports: %s",
                        attempt, e.getMessage());
            } catch (RuntimeException e) {
                stopAll(Duration.ZERO);
                throw e;
            }
        }
    }

    private void startAllOnce() {
        allocatePorts();
        for (Node n : node) {
            writeConfig(n);
        }
        for (Node n : node) {
            launch(n);
        }
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        for (Node n : node) {
            awaitHttpHealthy(n, deadline);
        }
        awaitJetStream(node[0], deadline);
    }

    /** Stops one node with SIGKILL ({@link Process#destroyForcibly()}) and waits for it to exit. */
    public synchronized void kill(int node) {
        Node n = node(node);
        Process p = n.process;
        if (p == null || !p.isAlive()) {
            LOG.debugf("kill(%d): node not running", node);
            return;
        }
        LOG.infof("Killing NATS node n%d (pid %d) with SIGKILL", node, p.pid());
        if (!ProcessStop.kill(p)) {
            throw new IllegalStateException("NATS node n" + node + " (pid " + p.pid() + ") did not exit within "
                    + ProcessStop.KILL_WAIT.toSeconds() + " s after SIGKILL");
        }
    }

    /** Stops one node gracefully: SIGTERM, wait up to 10 s, then SIGKILL. */
    public synchronized void terminate(int node) {
        Node n = node(node);
        Process p = n.process;
        if (p == null || !p.isAlive()) {
            LOG.debugf("terminate(%d): node not running", node);
            return;
        }
        LOG.infof("Terminating NATS node n%d (pid %d) with SIGTERM", node, p.pid());
        stopGracefully(List.of(n), GRACEFUL_STOP_TIMEOUT);
        if (p.isAlive()) {
            throw new IllegalStateException("NATS node n" + node + " (pid " + p.pid() + ") did not exit");
        }
    }

    /**
     * Starts a killed/terminated node again with the same ports and the same store dir, and waits (bounded,
     * 30 s) until its {@code /healthz?js-enabled-only=true} answers 200 and a client connected to it can get
     * JetStream account info.
     */
    public synchronized void restart(int node) {
        ensureOpen();
        if (!started) {
            throw new IllegalStateException("NatsCluster not started");
        }
        Node n = node(node);
        if (n.process != null && n.process.isAlive()) {
            throw new IllegalStateException("NATS node n" + node + " is still running (pid " + n.process.pid()
                    + "); kill or terminate it before restart");
        }
        long t0 = System.nanoTime();
        launch(n);
        long deadline = t0 + STARTUP_TIMEOUT.toNanos();
        awaitHttpHealthy(n, deadline);
        awaitJetStream(n, deadline);
        LOG.infof("NATS node n%d restarted (pid %d) and healthy in %d ms", node, n.process.pid(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Stops all nodes (SIGTERM, SIGKILL after 10 s), waits for them and deletes baseDir unless keepData. Idempotent; never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stopAll(GRACEFUL_STOP_TIMEOUT);
        } catch (RuntimeException e) {
            LOG.warnf("Error stopping NATS cluster in %s: %s", baseDir, oneLine(e));
        }
        if (keepData) {
            LOG.infof("NATS cluster closed; data kept in %s", baseDir);
            return;
        }
        try {
            deleteRecursively(baseDir);
            LOG.debugf("NATS cluster closed; deleted %s", baseDir);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("NATS cluster closed but could not delete %s: %s", baseDir, oneLine(e));
        }
    }

    // ------------------------------------------------------------------------------------------ accessors

    /** {@code nats://127.0.0.1:<port>} per node; stable across restarts of a node. */
    public synchronized List<String> clientUrls() {
        List<String> urls = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            urls.add(clientUrl(i));
        }
        return Collections.unmodifiableList(urls);
    }

    public synchronized String clientUrl(int node) {
        Node n = node(node);
        if (n.clientPort == 0) {
            throw new IllegalStateException("NatsCluster not started: no ports assigned yet");
        }
        return "nats://127.0.0.1:" + n.clientPort;
    }

    public int size() {
        return nodes;
    }

    public synchronized boolean isRunning(int node) {
        Process p = node(node).process;
        return p != null && p.isAlive();
    }

    /**
     * The body of a GET on the node's HTTP monitoring endpoint ({@code path} such as {@code /jsz}),
     * or empty when the node is not running; an answer other than 200 is an IOException.
     */
    public Optional<String> monitor(int node, String path) throws IOException {
        String url;
        synchronized (this) {
            Node n = node(node);
            if (n.process == null || !n.process.isAlive() || n.httpPort == 0) {
                return Optional.empty();
            }
            url = "http://127.0.0.1:" + n.httpPort + path;
        }
        HttpGet.Answer answer = httpGet(url);
        if (answer.code() != 200) {
            throw new IOException(url + " answered HTTP " + answer.code());
        }
        return Optional.of(answer.body());
    }

    /** PID of the node's current (or last) process, or -1 if the node was never started. */
    public synchronized long pid(int node) {
        Process p = node(node).process;
        return p == null ? -1 : p.pid();
    }

    // ------------------------------------------------------------------------------------------ binary lookup

    /**
     * Returns the configured path if it is executable; else searches PATH (for the configured command name
     * and for "nats-server") and /usr/sbin, /usr/local/bin, /usr/bin for "nats-server".
     */
    public static Optional<String> findBinary(String configured) {
        Set<String> names = new LinkedHashSet<>();
        if (configured != null && !configured.isBlank()) {
            String c = configured.trim();
            if (c.contains("/") || c.contains(File.separator)) {
                Path p = Paths.get(c);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(c);
                }
            } else {
                names.add(c);
            }
        }
        names.add(BINARY_NAME);
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isBlank()) {
                    dirs.add(d);
                }
            }
        }
        for (String name : names) {
            List<String> searchDirs = new ArrayList<>(dirs);
            if (BINARY_NAME.equals(name)) {
                searchDirs.addAll(EXTRA_BINARY_DIRS);
            }
            for (String d : searchDirs) {
                Path candidate = Paths.get(d).resolve(name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toAbsolutePath().toString());
                }
            }
        }
        return Optional.empty();
    }

    // ------------------------------------------------------------------------------------------ internals

    private static final class Node {
        final int index;
        final Path dir;
        final Path config;
        final Path store;
        final Path log;
        int clientPort;
        int clusterPort;
        int httpPort;
        Process process;

        Node(int index, Path dir, Path config, Path store, Path log) {
            this.index = index;
            this.dir = dir;
            this.config = config;
            this.store = store;
            this.log = log;
        }

        String name() {
            return "n" + index;
        }
    }

    /** A node died on startup because one of its ports was taken; the initial start retries with new ports. */
    private static final class PortConflictException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortConflictException(String message) {
            super(message, null, false, false);
        }
    }

    private Node node(int index) {
        if (index < 0 || index >= nodes) {
            throw new IndexOutOfBoundsException("node index " + index + " out of range [0, " + nodes + ")");
        }
        return node[index];
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("NatsCluster is closed");
        }
    }

    /** Binds all 3N sockets at once (so they are distinct), then releases them. */
    private void allocatePorts() {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            int[] ports = new int[nodes * 3];
            for (int i = 0; i < ports.length; i++) {
                ServerSocket s = new ServerSocket();
                sockets.add(s);
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(loopback, 0));
                ports[i] = s.getLocalPort();
            }
            for (int i = 0; i < nodes; i++) {
                node[i].clientPort = ports[i * 3];
                node[i].clusterPort = ports[i * 3 + 1];
                node[i].httpPort = ports[i * 3 + 2];
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot allocate loopback ports for NATS cluster: " + oneLine(e), e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private void writeConfig(Node n) {
        StringBuilder sb = new StringBuilder();
        sb.append("# generated by natsoak NatsCluster; node ").append(n.index).append(" of ").append(nodes).append('\n');
        sb.append("server_name: ").append(n.name()).append('\n');
        sb.append("listen: 127.0.0.1:").append(n.clientPort).append('\n');
        sb.append("http: 127.0.0.1:").append(n.httpPort).append('\n');
        sb.append("jetstream {\n");
        sb.append("  store_dir: \"").append(confEscape(n.store.toString())).append("\"\n");
        sb.append("  max_memory_store: 1GB\n");
        sb.append("  max_file_store: 10GB\n");
        sb.append("}\n");
        if (nodes > 1) {
            sb.append("cluster {\n");
            sb.append("  name: ").append(CLUSTER_NAME).append('\n');
            sb.append("  listen: 127.0.0.1:").append(n.clusterPort).append('\n');
            sb.append("  routes: [\n");
            for (Node other : node) {
                if (other != n) {
                    sb.append("    \"nats-route://127.0.0.1:").append(other.clusterPort).append("\"\n");
                }
            }
            sb.append("  ]\n");
            sb.append("}\n");
        }
        try {
            Files.createDirectories(n.store);
            Files.writeString(n.config, sb.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write NATS config " + n.config + ": " + oneLine(e), e);
        }
    }

    private static String confEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private void launch(Node n) {
        ProcessBuilder pb = new ProcessBuilder(Detached.command(List.of(resolvedBinary, "-c", n.config.toString())))
                .directory(n.dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log.toFile()));
        File devNull = new File("/dev/null");
        if (devNull.exists()) {
            pb.redirectInput(ProcessBuilder.Redirect.from(devNull));
        }
        try {
            n.process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + resolvedBinary + " for node " + n.name() + ": "
                    + oneLine(e), e);
        }
        LOG.debugf("Started NATS node %s pid %d client=%d cluster=%d http=%d", n.name(), n.process.pid(),
                n.clientPort, n.clusterPort, n.httpPort);
    }

    /**
     * Waits (bounded) until the node reports every stream and consumer it holds as current
     * ({@code /healthz} without parameters): the point where a rolling restart may take down
     * the next node without leaving a stream without its quorum.
     */
    public synchronized void awaitCaughtUp(int node, Duration timeout) {
        Node n = node(node);
        awaitHealthz(n, "/healthz", System.nanoTime() + timeout.toNanos(), timeout);
    }

    private void awaitHttpHealthy(Node n, long deadlineNanos) {
        awaitHealthz(n, "/healthz?js-enabled-only=true", deadlineNanos, STARTUP_TIMEOUT);
    }

    private void awaitHealthz(Node n, String path, long deadlineNanos, Duration timeout) {
        String url = "http://127.0.0.1:" + n.httpPort + path;
        String last = "no answer yet";
        while (true) {
            checkAlive(n);
            try {
                int code = httpGet(url).code();
                if (code == 200) {
                    return;
                }
                last = "HTTP " + code;
            } catch (IOException e) {
                last = oneLine(e);
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                throw failure(n, "did not become healthy (" + url + ": " + last + ") within "
                        + timeout.toSeconds() + " s");
            }
            sleep(POLL_INTERVAL_MS);
        }
    }

    private void awaitJetStream(Node n, long deadlineNanos) {
        String url = "nats://127.0.0.1:" + n.clientPort;
        String last = "no answer yet";
        while (true) {
            checkAlive(n);
            try {
                jetStreamAccountInfo(url);
                return;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for NATS node " + n.name());
                }
                last = oneLine(e);
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                throw failure(n, "JetStream account info via " + url + " not available within "
                        + STARTUP_TIMEOUT.toSeconds() + " s (last: " + last + ")");
            }
            sleep(2 * POLL_INTERVAL_MS);
        }
    }

    private static void jetStreamAccountInfo(String url) throws Exception {
        Options options = Options.builder()
                .server(url)
                .noReconnect()
                .connectionTimeout(PROBE_TIMEOUT)
                .errorListener(new ErrorListener() { })
                .build();
        try (Connection nc = Nats.connect(options)) {
            JetStreamManagement jsm = nc.jetStreamManagement(
                    JetStreamOptions.builder().requestTimeout(PROBE_TIMEOUT).build());
            jsm.getAccountStatistics();
        }
    }

    private static HttpGet.Answer httpGet(String url) throws IOException {
        return HttpGet.get(url, PROBE_TIMEOUT, PROBE_TIMEOUT);
    }

    private void checkAlive(Node n) {
        Process p = n.process;
        if (p != null && !p.isAlive()) {
            String tail = logTail(n);
            String msg = "NATS node " + n.name() + " exited with code " + p.exitValue() + " during startup; "
                    + "log " + n.log + " tail: " + tail;
            if (!started && tail.toLowerCase(Locale.ROOT).contains("address already in use")) {
                throw new PortConflictException(msg);
            }
            throw new IllegalStateException(msg);
        }
    }

    private IllegalStateException failure(Node n, String what) {
        return new IllegalStateException("NATS node " + n.name() + " " + what + "; log " + n.log + " tail: "
                + logTail(n));
    }

    /** Last lines of the node's log, joined into one line. */
    private static String logTail(Node n) {
        try (RandomAccessFile f = new RandomAccessFile(n.log.toFile(), "r")) {
            long len = f.length();
            int toRead = (int) Math.min(len, 16 * 1024);
            byte[] buf = new byte[toRead];
            f.seek(len - toRead);
            f.readFully(buf);
            List<String> lines = new ArrayList<>(Arrays.asList(new String(buf, StandardCharsets.UTF_8).split("\\R")));
            lines.removeIf(String::isBlank);
            List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
            String joined = String.join(" | ", tail);
            if (joined.length() > LOG_TAIL_MAX_CHARS) {
                joined = "..." + joined.substring(joined.length() - LOG_TAIL_MAX_CHARS);
            }
            return joined.isEmpty() ? "<empty>" : joined;
        } catch (NoSuchFileException e) {
            return "<no log file>";
        } catch (IOException e) {
            return "<cannot read log: " + oneLine(e) + ">";
        }
    }

    /** SIGTERM to every running node, wait for all up to {@code grace}, then SIGKILL the rest and wait. */
    private void stopAll(Duration grace) {
        stopGracefully(Arrays.asList(node), grace);
    }

    private void stopGracefully(List<Node> targets, Duration grace) {
        ProcessStop.stop("NATS", targets.stream().map(n -> n.process).toList(), grace);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for NATS cluster");
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null && !(exc instanceof NoSuchFileException)) {
                    throw exc;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String oneLine(Throwable t) {
        String msg = t.getMessage();
        String s = t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
        return s.replaceAll("\\R", " ");
    }

    @Override
    public String toString() {
        return "NatsCluster[nodes=" + nodes + ", dir=" + baseDir + "]";
    }
}

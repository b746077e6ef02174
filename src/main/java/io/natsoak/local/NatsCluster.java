package io.natsoak.local;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts and controls a real nats-server JetStream cluster (N >= 1 nodes) on the loopback interface.
 * <p>
 * Every node gets three fixed loopback ports (client, cluster route, HTTP monitoring) chosen once, so a
 * node that is killed/terminated and {@link #restart(int) restarted} comes back on the same ports with
 * the same store directory. The cluster owns {@code baseDir}: it is created if missing and deleted on
 * {@link #close()} unless {@code keepData} is set.
 * <p>
 * No threads, shutdown hooks or other global state: the caller owns the lifecycle and must call
 * {@link #close()}. The parts: {@link NatsBinary} finds the executable, {@link NatsNodeFiles} picks
 * ports and writes configs, {@link NatsNode} launches one server, {@link NatsNodeReadiness} waits
 * for it, {@link ProcessStop} stops it.
 */
public final class NatsCluster implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NatsCluster.class);

    private static final Duration GRACEFUL_STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Attempts for the initial start when a freshly chosen port got taken by someone else meanwhile. */
    private static final int MAX_START_ATTEMPTS = 3;

    private final String binary;
    private final Path baseDir;
    private final int nodes;
    private final boolean keepData;

    private final NatsNode[] node;
    private String resolvedBinary;
    private boolean started;
    private boolean closed;
    /** Nodes stopped through {@link #kill} or {@link #terminate} and not restarted yet: whoever stopped them restarts them. */
    private final java.util.Set<Integer> stoppedOnPurpose = new java.util.HashSet<>();

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
        this.node = new NatsNode[nodes];
        for (int i = 0; i < nodes; i++) {
            node[i] = new NatsNode(i, this.baseDir);
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
        resolvedBinary = NatsBinary.find(binary).orElseThrow(() -> new IllegalStateException(
                "nats-server binary not found (configured '" + binary + "', searched PATH and "
                        + String.join(", ", NatsBinary.EXTRA_DIRS) + "); install it, e.g. apt-get install nats-server"));
        try {
            Files.createDirectories(baseDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create NATS cluster dir " + baseDir + ": " + OneLine.of(e), e);
        }
        long t0 = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                startAllOnce();
                started = true;
                LOG.infof("NATS cluster of %d node(s) ready in %d ms: %s (dir %s)", nodes,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), clientUrls(), baseDir);
                return;
            } catch (NatsNodeReadiness.PortConflictException e) {
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
        NatsNodeFiles.allocatePorts(node);
        for (NatsNode n : node) {
            NatsNodeFiles.writeConfig(n, node);
        }
        for (NatsNode n : node) {
            n.launch(resolvedBinary);
        }
        long deadline = System.nanoTime() + NatsNodeReadiness.STARTUP_TIMEOUT.toNanos();
        for (NatsNode n : node) {
            NatsNodeReadiness.awaitHttpHealthy(n, deadline, !started);
        }
        NatsNodeReadiness.awaitJetStream(node[0], deadline, !started);
    }

    /** Stops one node with SIGKILL ({@link Process#destroyForcibly()}) and waits for it to exit. */
    public synchronized void kill(int node) {
        NatsNode n = node(node);
        Process p = n.process;
        if (p == null || !p.isAlive()) {
            LOG.debugf("kill(%d): node not running", node);
            return;
        }
        LOG.infof("Killing NATS node n%d (pid %d) with SIGKILL", node, p.pid());
        stoppedOnPurpose.add(node);
        if (!ProcessStop.kill(p)) {
            throw new IllegalStateException("NATS node n" + node + " (pid " + p.pid() + ") did not exit within "
                    + ProcessStop.KILL_WAIT.toSeconds() + " s after SIGKILL");
        }
    }

    /** Stops one node gracefully: SIGTERM, wait up to 10 s, then SIGKILL. */
    public synchronized void terminate(int node) {
        NatsNode n = node(node);
        Process p = n.process;
        if (p == null || !p.isAlive()) {
            LOG.debugf("terminate(%d): node not running", node);
            return;
        }
        LOG.infof("Terminating NATS node n%d (pid %d) with SIGTERM", node, p.pid());
        stoppedOnPurpose.add(node);
        ProcessStop.stop("NATS", p, GRACEFUL_STOP_TIMEOUT);
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
        NatsNode n = node(node);
        if (n.isRunning()) {
            throw new IllegalStateException("NATS node n" + node + " is still running (pid " + n.process.pid()
                    + "); kill or terminate it before restart");
        }
        long t0 = System.nanoTime();
        stoppedOnPurpose.remove(node);
        n.launch(resolvedBinary);
        long deadline = t0 + NatsNodeReadiness.STARTUP_TIMEOUT.toNanos();
        NatsNodeReadiness.awaitHttpHealthy(n, deadline, !started);
        NatsNodeReadiness.awaitJetStream(n, deadline, !started);
        LOG.infof("NATS node n%d restarted (pid %d) and healthy in %d ms", node, n.process.pid(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Waits (bounded) until the node reports every stream and consumer it holds as current
     * ({@code /healthz} without parameters): the point where a rolling restart may take down
     * the next node without leaving a stream without its quorum.
     */
    public synchronized void awaitCaughtUp(int node, Duration timeout) {
        NatsNodeReadiness.awaitHealthz(node(node), "/healthz", System.nanoTime() + timeout.toNanos(), timeout, !started);
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
            LOG.warnf("Error stopping NATS cluster in %s: %s", baseDir, OneLine.of(e));
        }
        if (keepData) {
            LOG.infof("NATS cluster closed; data kept in %s", baseDir);
            return;
        }
        try {
            DirectoryTree.delete(baseDir);
            LOG.debugf("NATS cluster closed; deleted %s", baseDir);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("NATS cluster closed but could not delete %s: %s", baseDir, OneLine.of(e));
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
        NatsNode n = node(node);
        if (n.clientPort == 0) {
            throw new IllegalStateException("NatsCluster not started: no ports assigned yet");
        }
        return n.clientUrl();
    }

    public int size() {
        return nodes;
    }

    public synchronized boolean isRunning(int node) {
        return node(node).isRunning();
    }

    /**
     * A node that is not running although nobody stopped it through this cluster (it crashed, or
     * something outside killed it): what a StatefulSet would start again. False before start and after close.
     */
    public synchronized boolean diedUnexpectedly(int node) {
        return started && !closed && !node(node).isRunning() && !stoppedOnPurpose.contains(node);
    }

    /**
     * The body of a GET on the node's HTTP monitoring endpoint ({@code path} such as {@code /jsz}),
     * or empty when the node is not running; an answer other than 200 is an IOException.
     */
    public Optional<String> monitor(int node, String path) throws IOException {
        String url;
        synchronized (this) {
            NatsNode n = node(node);
            if (!n.isRunning() || n.httpPort == 0) {
                return Optional.empty();
            }
            url = n.httpUrl(path);
        }
        HttpGet.Answer answer = HttpGet.get(url, NatsNodeReadiness.PROBE_TIMEOUT, NatsNodeReadiness.PROBE_TIMEOUT);
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

    /**
     * Returns the configured path if it is executable; else searches PATH (for the configured command name
     * and for "nats-server") and /usr/sbin, /usr/local/bin, /usr/bin for "nats-server".
     */
    public static Optional<String> findBinary(String configured) {
        return NatsBinary.find(configured);
    }

    // ------------------------------------------------------------------------------------------ internals

    private NatsNode node(int index) {
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

    /** SIGTERM to every running node, wait for all up to {@code grace}, then SIGKILL the rest and wait. */
    private void stopAll(Duration grace) {
        ProcessStop.stop("NATS", Arrays.stream(node).map(n -> n.process).toList(), grace);
    }

    @Override
    public String toString() {
        return "NatsCluster[nodes=" + nodes + ", dir=" + baseDir + "]";
    }
}

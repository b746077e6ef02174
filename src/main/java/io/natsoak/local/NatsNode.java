package io.natsoak.local;

import org.jboss.logging.Logger;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One nats-server of a {@link NatsCluster}: its directory, config, store and log, its three
 * loopback ports (chosen once, so a restarted node comes back on the same ones) and its current
 * process. Not thread-safe: the cluster's lock guards it.
 */
final class NatsNode {

    private static final Logger LOG = Logger.getLogger(NatsNode.class);

    final int index;
    final Path dir;
    final Path config;
    final Path store;
    final Path log;
    int clientPort;
    int clusterPort;
    int httpPort;
    Process process;

    NatsNode(int index, Path baseDir) {
        this.index = index;
        this.dir = baseDir.resolve("node-" + index);
        this.config = dir.resolve("nats.conf");
        this.store = dir.resolve("store");
        this.log = dir.resolve("server.log");
    }

    String name() {
        return "n" + index;
    }

    String clientUrl() {
        return "nats://127.0.0.1:" + clientPort;
    }

    /** A URL of the node's HTTP monitoring endpoint, {@code path} such as {@code /healthz}. */
    String httpUrl(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Starts nats-server on this node's config, its output appended to the node's log. */
    void launch(String binary) {
        ProcessBuilder pb = new ProcessBuilder(Detached.command(List.of(binary, "-c", config.toString())))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        File devNull = new File("/dev/null");
        if (devNull.exists()) {
            pb.redirectInput(ProcessBuilder.Redirect.from(devNull));
        }
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary + " for node " + name() + ": " + OneLine.of(e), e);
        }
        LOG.debugf("Started NATS node %s pid %d client=%d cluster=%d http=%d", name(), process.pid(), clientPort, clusterPort, httpPort);
    }
}

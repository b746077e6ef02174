package io.natsoak.local;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.Replica;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.natsoak.testing.NatsClusterExtension;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/** Integration tests for {@link NatsCluster} against a real 3-node nats-server JetStream cluster. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsClusterIT {

    private static final Logger LOG = Logger.getLogger(NatsClusterIT.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    @Test
    void clusterStartsAndAcceptsR3FileStreamPublishes() throws Exception {
        NatsCluster cluster = nats.cluster();
        assertThat(cluster.size()).isEqualTo(3);
        assertThat(cluster.clientUrls()).hasSize(3).doesNotHaveDuplicates()
                .allSatisfy(u -> assertThat(u).matches("nats://127\\.0\\.0\\.1:\\d+"));
        for (int i = 0; i < 3; i++) {
            assertThat(cluster.isRunning(i)).as("node %d running", i).isTrue();
            assertThat(cluster.pid(i)).isPositive();
        }

        String stream = nats.uniqueName("START");
        String subject = stream + ".data";
        try (Connection nc = connect(cluster.clientUrls())) {
            JetStreamManagement jsm = nc.jetStreamManagement(jsOptions());
            StreamInfo created = jsm.addStream(r3FileStream(stream, subject));
            assertThat(created.getConfiguration().getReplicas()).isEqualTo(3);
            assertThat(created.getConfiguration().getStorageType()).isEqualTo(StorageType.File);

            JetStream js = nc.jetStream(jsOptions());
            PublishAck ack = publishWithRetry(js, subject, "m-1", Duration.ofSeconds(15));
            assertThat(ack.getStream()).isEqualTo(stream);
            assertThat(ack.getSeqno()).isEqualTo(1);
            assertThat(ack.isDuplicate()).isFalse();

            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertAllReplicasCurrent(jsm.getStreamInfo(stream), 1));
        }
    }

    @Test
    void killedNodeIsRestartedOnSamePortAndCatchesUp() throws Exception {
        NatsCluster cluster = nats.cluster();
        String stream = nats.uniqueName("KILL");
        String subject = stream + ".data";
        String urlBefore = cluster.clientUrl(1);
        long pidBefore = cluster.pid(1);

        // client on node 0 first (never killed here); reconnects to the others if needed
        try (Connection nc = connect(cluster.clientUrls())) {
            JetStreamManagement jsm = nc.jetStreamManagement(jsOptions());
            JetStream js = nc.jetStream(jsOptions());
            jsm.addStream(r3FileStream(stream, subject));
            int published = 0;
            for (; published < 5; published++) {
                publishWithRetry(js, subject, "pre-" + published, Duration.ofSeconds(15));
            }
            // Best effort: make n1 the stream leader so the kill exercises a leader failover.
            String leader = makeLeader(nc, jsm, stream, "n1", Duration.ofSeconds(12));
            LOG.infof("stream %s leader before kill: %s", stream, leader);

            long tKill = System.nanoTime();
            cluster.kill(1);
            assertThat(cluster.isRunning(1)).isFalse();
            assertThat(ProcessHandle.of(pidBefore).map(ProcessHandle::isAlive).orElse(false))
                    .as("pid %d gone after SIGKILL", pidBefore).isFalse();

            // while node 1 is down the R3 stream keeps quorum (2/3): publishes must succeed (after a possible
            // leader election when n1 was the leader)
            long firstOkMs = -1;
            long publishDeadline = tKill + Duration.ofSeconds(25).toNanos();
            for (int i = 0; i < 10; i++, published++) {
                publishWithRetry(js, subject, "down-" + i, Duration.ofNanos(publishDeadline - System.nanoTime()));
                if (firstOkMs < 0) {
                    firstOkMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - tKill);
                }
            }
            LOG.infof("first successful publish %d ms after SIGKILL of n1 (leader before kill: %s)", firstOkMs, leader);

            long tRestart = System.nanoTime();
            cluster.restart(1);
            long restartMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - tRestart);
            assertThat(cluster.isRunning(1)).isTrue();
            assertThat(cluster.pid(1)).isNotEqualTo(pidBefore);
            assertThat(cluster.clientUrl(1)).isEqualTo(urlBefore);
            try (Connection direct = connect(List.of(urlBefore))) {
                assertThat(direct.getConnectedUrl()).contains(urlBefore.substring(urlBefore.lastIndexOf(':')));
            }

            long expected = published;
            long tCatchUp = System.nanoTime();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertAllReplicasCurrent(jsm.getStreamInfo(stream), expected));
            LOG.infof("n1 restart healthy in %d ms; stream %s fully current %d ms later", restartMs, stream,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - tCatchUp));
        }
    }

    @Test
    void closeStopsAllProcessesAndDeletesBaseDir() throws Exception {
        String binary = NatsCluster.findBinary("nats-server").orElseThrow();
        Path baseDir = Paths.get(Optional.ofNullable(System.getProperty("basedir")).orElse(""))
                .toAbsolutePath().resolve("target/nats-clusters").resolve(nats.uniqueName("NatsClusterIT-close"));
        NatsCluster cluster = new NatsCluster(binary, baseDir, 3, false);
        List<Long> pids = new ArrayList<>();
        try {
            cluster.start();
            for (int i = 0; i < 3; i++) {
                pids.add(cluster.pid(i));
            }
            assertThat(Files.isDirectory(baseDir)).isTrue();
            assertThat(Files.exists(baseDir.resolve("node-2/nats.conf"))).isTrue();
            assertThat(natsProcessesMentioning(baseDir)).as("sanity: process scan finds the running nodes")
                    .containsExactlyInAnyOrderElementsOf(pids);
            cluster.terminate(2); // graceful stop of a single node also works
            assertThat(cluster.isRunning(2)).isFalse();
        } finally {
            cluster.close();
        }
        assertThat(natsProcessesMentioning(baseDir)).isEmpty();
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d", pid).isFalse();
        }
        assertThat(baseDir).doesNotExist();
        assertThatCode(cluster::close).doesNotThrowAnyException();
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static Connection connect(List<String> urls) throws IOException, InterruptedException {
        Options options = Options.builder()
                .servers(urls.toArray(String[]::new))
                .noRandomize()
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100))
                .connectionTimeout(REQUEST_TIMEOUT)
                .errorListener(new ErrorListener() { })
                .build();
        return Nats.connect(options);
    }

    private static JetStreamOptions jsOptions() {
        return JetStreamOptions.builder().requestTimeout(REQUEST_TIMEOUT).build();
    }

    private static StreamConfiguration r3FileStream(String name, String subject) {
        return StreamConfiguration.builder()
                .name(name)
                .subjects(subject)
                .storageType(StorageType.File)
                .replicas(3)
                .build();
    }

    /** Publishes with a message id (so a retried publish whose ack got lost is de-duplicated) until acked. */
    private static PublishAck publishWithRetry(JetStream js, String subject, String id, Duration budget)
            throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        PublishOptions po = PublishOptions.builder().messageId(id).build();
        Exception last = null;
        int attempts = 0;
        while (System.nanoTime() - deadline < 0) {
            attempts++;
            try {
                return js.publish(subject, id.getBytes(StandardCharsets.UTF_8), po);
            } catch (Exception e) {
                last = e;
                Thread.sleep(100);
            }
        }
        return fail("publish %s to %s not acked within %s after %d attempts; last error: %s", id, subject, budget,
                attempts, last);
    }

    /**
     * Asks the stream leader to step down until {@code wanted} leads (or the budget is used up). Returns the
     * leader's server name at the end.
     */
    private static String makeLeader(Connection nc, JetStreamManagement jsm, String stream, String wanted,
            Duration budget) throws Exception {
        long deadline = System.nanoTime() + budget.toNanos();
        String leader = currentLeader(jsm, stream, deadline);
        while (!wanted.equals(leader) && System.nanoTime() - deadline < 0) {
            String before = leader;
            long t = System.nanoTime();
            nc.request("$JS.API.STREAM.LEADER.STEPDOWN." + stream, new byte[0], REQUEST_TIMEOUT);
            do {
                Thread.sleep(100);
                leader = currentLeaderOrNull(jsm, stream);
            } while ((leader == null || leader.equals(before)) && System.nanoTime() - deadline < 0);
            LOG.infof("stream %s leader stepdown %s -> %s took %d ms", stream, before, leader,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
        }
        return leader;
    }

    private static String currentLeader(JetStreamManagement jsm, String stream, long deadline) throws Exception {
        String leader;
        while ((leader = currentLeaderOrNull(jsm, stream)) == null && System.nanoTime() - deadline < 0) {
            Thread.sleep(100);
        }
        return leader;
    }

    private static String currentLeaderOrNull(JetStreamManagement jsm, String stream) {
        try {
            ClusterInfo ci = jsm.getStreamInfo(stream).getClusterInfo();
            return ci == null ? null : ci.getLeader();
        } catch (Exception e) {
            return null;
        }
    }

    private static void assertAllReplicasCurrent(StreamInfo si, long expectedMessages) {
        ClusterInfo ci = si.getClusterInfo();
        assertThat(ci).isNotNull();
        assertThat(ci.getLeader()).as("stream leader").isNotBlank();
        List<Replica> replicas = ci.getReplicas();
        assertThat(replicas).as("followers of %s", ci.getLeader()).hasSize(2)
                .allSatisfy(r -> {
                    assertThat(r.isCurrent()).as("replica %s current", r.getName()).isTrue();
                    assertThat(r.isOffline()).as("replica %s offline", r.getName()).isFalse();
                });
        List<String> peers = new ArrayList<>();
        peers.add(ci.getLeader());
        replicas.forEach(r -> peers.add(r.getName()));
        assertThat(peers).containsExactlyInAnyOrder("n0", "n1", "n2");
        assertThat(si.getStreamState().getMsgCount()).isEqualTo(expectedMessages);
    }

    /** PIDs of live processes whose command line mentions {@code dir}. */
    private static List<Long> natsProcessesMentioning(Path dir) {
        String needle = dir.toAbsolutePath().toString();
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(ph -> commandLine(ph).contains(needle))
                .map(ProcessHandle::pid)
                .collect(Collectors.toList());
    }

    private static String commandLine(ProcessHandle ph) {
        Path proc = Paths.get("/proc", Long.toString(ph.pid()), "cmdline");
        try {
            if (Files.isReadable(proc)) {
                return new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ');
            }
        } catch (IOException e) {
            // process vanished or not readable: fall back
        }
        return ph.info().commandLine().orElse("");
    }
}

package io.natsoak.local;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.natsoak.model.Report;
import io.natsoak.nats.Names;
import io.natsoak.testing.NatsServerVersion;
import io.natsoak.testing.ProcessSoak;
import io.natsoak.testing.ReceiptsTruth;
import io.natsoak.testing.StreamAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real crashes of real processes: every role runs as its own OS process of the packaged
 * application, as in Kubernetes, and is killed with SIGKILL (nothing runs on the way out).
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class FaultScenarioIT {

    private static ProcessSoak soak(String name) {
        return new ProcessSoak(name)
                .set("natsoak.partitions.count", "8").set("natsoak.partitions.rate", "15")
                .set("natsoak.producer.count", "2").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "30s").set("natsoak.verifier.validation-window", "10s")
                // Positions are committed rarely, so a killed worker certainly leaves processed,
                // uncommitted messages behind: they must come back as redeliveries, not duplicates.
                .set("natsoak.worker.commit-interval", "5s");
    }

    @Test
    void aWorkerKilledWithSigkillLosesNothingAndItsReplaysCountAsRedeliveries() throws Exception {
        try (LocalTopology t = soak("workerkill").topology()) {
            t.start();
            awaitVerifying(t, 300);
            RoleProcess victim = t.workers().get(0);
            // Verified messages may all be the other worker's (a loaded machine starts this one
            // late): kill only once the victim has receipted some, or there is nothing to replay.
            awaitReceiptBatches(victim, 3);
            victim.kill();
            assertThat(victim.isAlive()).isFalse();
            Thread.sleep(2_000);
            victim.start();
            Report r = awaitFinal(t);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.duplicates().redelivered()).as("replayed after the kill").isPositive();
            assertThat(r.verified()).isEqualTo(r.published());
        }
    }

    /**
     * Two leader failovers: first the data stream's leader (producers and workers fail over),
     * then the server holding the verifier's receipts consumer, whose pending pull dies with it
     * (that one stalled the verifier for good until {@code ReceiptsFeed}'s watchdog existed).
     * On nats-server 2.9 and 2.15, 2.10 on demand (docs/architecture.md, "Tests: which nats-server versions").
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.natsoak.testing.NatsServerVersion#oldestAndNewest")
    void killingTheStreamAndConsumerLeadersServersLosesNothingAndSkipsNoSequence(NatsServerVersion version) throws Exception {
        ProcessSoak spec = soak("leaderkill").on(version).set("natsoak.duration", "50s").set("natsoak.worker.assignment", "weighted-consistent-hash");
        try (LocalTopology t = spec.topology()) {
            t.start();
            awaitVerifying(t, 300);
            String runId = t.liveReport().orElseThrow().runId();
            Names names = new Names(runId);
            int dataLeader = leaderOf(t, c -> c.getStreamInfo(names.dataStream()).getClusterInfo().getLeader());
            t.cluster().kill(dataLeader);
            Thread.sleep(10_000);
            t.cluster().restart(dataLeader);
            long verifiedBefore = t.liveReport().map(Report::verified).orElse(0L);
            // The verifier reads the receipts stream with an ordered (R1) consumer: kill the server that holds it.
            int consumerLeader = leaderOf(t, c -> c.getConsumers(names.receiptsStream()).stream()
                    .filter(ci -> ci.getName().startsWith(names.verifierConsumer()))
                    .map(ci -> ci.getClusterInfo().getLeader()).findFirst().orElse(null));
            t.cluster().kill(consumerLeader);
            Thread.sleep(10_000);
            t.cluster().restart(consumerLeader);
            awaitVerifying(t, verifiedBefore + 300);
            Report r = awaitFinal(t);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.verified()).isEqualTo(r.published());
            StreamAssertions.assertEverySubjectHoldsExactlyItsSequences(t.cluster().clientUrls(), names, 8);
        }
    }

    /**
     * The verifier is killed mid-run and started again: it restores its last checkpoint and reads
     * the receipts stream on from there, so the verdict and every count equal the truth, computed
     * at the end by replaying the whole receipts stream into a fresh verification.
     */
    @Test
    void aVerifierKilledWithSigkillResumesFromItsCheckpointWithTheUninterruptedCounts() throws Exception {
        try (LocalTopology t = soak("verifierkill").set("natsoak.duration", "40s").topology()) {
            t.start();
            awaitVerifying(t, 300);
            Names names = new Names(t.liveReport().orElseThrow().runId());
            awaitNewCheckpoint(t, names);
            RoleProcess victim = t.verifier();
            victim.kill();
            Thread.sleep(2_000);
            victim.start();
            Report r = awaitFinal(t);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.verified()).isEqualTo(r.published());
            assertThat(Files.readString(victim.log())).as("the restarted verifier resumed from a checkpoint")
                    .containsPattern("restored the verifier checkpoint .*: [1-9][0-9]* verified");
            Report truth = ReceiptsTruth.replay(t.cluster().clientUrls(), names, 8, 2, Duration.ofSeconds(10));
            assertThat(r.published()).isEqualTo(truth.published());
            assertThat(r.received()).as("received").isEqualTo(truth.received());
            assertThat(r.verified()).as("verified").isEqualTo(truth.verified());
            assertThat(r.duplicates()).as("duplicates").isEqualTo(truth.duplicates());
            assertThat(r.gaps()).isEqualTo(truth.gaps());
        }
    }

    /**
     * The same kill, but the restarted verifier has neither its checkpoint nor the receipts it had
     * read (what a run longer than the receipts' max age, or a verifier that acknowledged without
     * checkpointing, comes to): it reports false gaps, and the assertions above would catch them.
     */
    @Test
    void aVerifierRestartedWithoutItsCheckpointOrEarlierReceiptsReportsFalseGaps() throws Exception {
        try (LocalTopology t = soak("verifierlost").set("natsoak.verifier.settle-timeout", "10s").topology()) {
            t.start();
            awaitVerifying(t, 300);
            Names names = new Names(t.liveReport().orElseThrow().runId());
            RoleProcess victim = t.verifier();
            victim.kill();
            try (Connection c = Nats.connect(String.join(",", t.cluster().clientUrls()))) {
                c.jetStreamManagement().purgeStream(names.checkpointStream());
                c.jetStreamManagement().purgeStream(names.receiptsStream());
            }
            Thread.sleep(2_000);
            victim.start();
            Report r = awaitFinal(t);
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.gaps()).as("messages verified before the kill now count as lost").isPositive();
            assertThat(r.verified()).isLessThan(r.published());
            assertThat(Files.readString(victim.log())).contains("no verifier checkpoint").contains("are gone");
        }
    }

    @Test
    void aProducerKilledWithSigkillResumesWithoutFalseGapsOrDuplicates() throws Exception {
        try (LocalTopology t = soak("producerkill").topology()) {
            t.start();
            awaitVerifying(t, 300);
            RoleProcess victim = t.producers().get(1);
            victim.kill();
            Thread.sleep(2_000);
            victim.start();
            Report r = awaitFinal(t);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates()).isEqualTo(new Report.Duplicates(0, 0));
            assertThat(r.verified()).isEqualTo(r.published());
            StreamAssertions.assertEverySubjectHoldsExactlyItsSequences(t.cluster().clientUrls(), new Names(r.runId()), 8);
        }
    }

    @Test
    void aWorkerFrozenPastItsHeartbeatTtlNeverProcessesAPartitionThatMovedAway() throws Exception {
        try (LocalTopology t = soak("freeze").set("natsoak.worker.assignment", "weighted-consistent-hash")
                .set("natsoak.worker.heartbeat-ttl", "2s")
                .set("natsoak.worker.heartbeat-interval", "250ms").topology()) {
            t.start();
            awaitVerifying(t, 300);
            RoleProcess victim = t.workers().get(0);
            signal("STOP", victim.pid());
            try {
                // Well past the 2 s TTL: its partitions move to the other worker meanwhile.
                Thread.sleep(8_000);
            } finally {
                signal("CONT", victim.pid());
            }
            Report r = awaitFinal(t);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).as("the frozen worker processed nothing that moved away").isZero();
            assertThat(r.verified()).isEqualTo(r.published());
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
    }

    /** Until the verifier has written a checkpoint after this call (so it holds what was verified so far). */
    private static void awaitNewCheckpoint(LocalTopology t, Names names) throws Exception {
        long before = checkpointStreamLastSequence(t, names);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> checkpointStreamLastSequence(t, names) > before);
    }

    private static long checkpointStreamLastSequence(LocalTopology t, Names names) throws Exception {
        try (Connection c = Nats.connect(String.join(",", t.cluster().clientUrls()))) {
            return c.jetStreamManagement().getStreamInfo(names.checkpointStream()).getStreamState().getLastSequence();
        }
    }

    private static void awaitVerifying(LocalTopology t, long verified) {
        // Up to two minutes: on a busy 2-core machine five role JVMs take up to 50 s to start
        // (measured at load average 26), and this only waits for the flow, it judges nothing.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> t.liveReport().map(Report::verified).orElse(0L) >= verified);
    }

    /** Until the worker's own counter of published receipt batches reaches {@code batches}. */
    private static void awaitReceiptBatches(RoleProcess worker, long batches) {
        String metrics = "http://127.0.0.1:" + worker.httpPort() + "/q/metrics";
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> HttpGet.get(metrics, Duration.ofSeconds(2), Duration.ofSeconds(10)).body().lines()
                        .filter(l -> l.startsWith("natsoak_worker_receipt_batches_total"))
                        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                        .sum() >= batches);
    }

    /** The verifier exits by itself with its verdict at the end of the timed run. */
    private static Report awaitFinal(LocalTopology t) {
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1)).until(() -> !t.verifier().isAlive());
        return t.finalReport().orElseThrow(() -> new AssertionError("no final report; see " + t.verifier().log()));
    }

    @FunctionalInterface
    private interface LeaderQuery {
        String leader(io.nats.client.JetStreamManagement jsm) throws Exception;
    }

    /** The index of the node that leads a stream or consumer, asked of a node that is up. */
    private static int leaderOf(LocalTopology t, LeaderQuery query) throws Exception {
        String leader = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> {
                    try (Connection c = Nats.connect(String.join(",", t.cluster().clientUrls()))) {
                        return query.leader(c.jetStreamManagement());
                    }
                }, l -> l != null && !l.isEmpty());
        return Integer.parseInt(leader.substring(1));
    }
}

package io.natsoak.local;

import io.natsoak.nats.Names;
import io.natsoak.testing.ProcessSoak;
import io.natsoak.testing.StreamAssertions;
import io.natsoak.verifier.Report;
import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
     * then the leader of the verifier's receipts consumer, whose pending pull dies with it (that
     * one stalled the verifier for good until {@code ReceiptsFeed}'s watchdog existed).
     */
    @Test
    void killingTheStreamAndConsumerLeadersServersLosesNothingAndSkipsNoSequence() throws Exception {
        ProcessSoak spec = soak("leaderkill").set("natsoak.duration", "50s").set("natsoak.worker.assignment", "weighted-consistent-hash");
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
            int consumerLeader = leaderOf(t, c -> c.getConsumerInfo(names.receiptsStream(), names.verifierConsumer()).getClusterInfo().getLeader());
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

    private static void awaitVerifying(LocalTopology t, long verified) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> t.liveReport().map(Report::verified).orElse(0L) >= verified);
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

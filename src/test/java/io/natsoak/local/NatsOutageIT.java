package io.natsoak.local;

import io.natsoak.model.Report;
import io.natsoak.nats.Names;
import io.natsoak.testing.NatsServerVersion;
import io.natsoak.testing.ProcessSoak;
import io.natsoak.testing.StreamAssertions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * NATS itself misbehaving for a long time: one of three servers down for a minute (the cluster
 * keeps its quorum, every client connected to that server must move), then a rolling restart of
 * all three, each server stopped gracefully only once the previous one has caught up again.
 * Every role runs as its own process; the verdict must stay exact.
 */
@Timeout(value = 7, unit = TimeUnit.MINUTES)
class NatsOutageIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(60);

    /** On 2.9; on 2.10 and 2.15 on demand: docs/architecture.md, "Tests: which nats-server versions". */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.natsoak.testing.NatsServerVersion#systemOnly")
    void oneServerDownForAMinuteThenARollingRestartLosesNothing(NatsServerVersion version) throws Exception {
        ProcessSoak spec = new ProcessSoak("outage").on(version)
                .set("natsoak.partitions.count", "8").set("natsoak.partitions.rate", "10")
                .set("natsoak.producer.count", "2").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "150s").set("natsoak.verifier.validation-window", "15s");
        try (LocalTopology t = spec.topology()) {
            t.start();
            awaitVerifying(t, 200);
            Names names = new Names(t.liveReport().orElseThrow().runId());

            t.cluster().kill(1);
            long before = verified(t);
            Thread.sleep(60_000);
            assertThat(verified(t)).as("the pipeline kept going on two of three servers").isGreaterThan(before + 1_000);
            t.cluster().restart(1);
            t.cluster().awaitCaughtUp(1, CATCH_UP);

            for (int node = 0; node < t.cluster().size(); node++) {
                t.cluster().terminate(node);
                t.cluster().restart(node);
                t.cluster().awaitCaughtUp(node, CATCH_UP);
            }

            Report r = awaitFinal(t);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.verified()).isEqualTo(r.published());
            StreamAssertions.assertEverySubjectHoldsExactlyItsSequences(t.cluster().clientUrls(), names, 8);
        }
    }

    private static long verified(LocalTopology t) {
        return t.liveReport().map(Report::verified).orElse(0L);
    }

    private static void awaitVerifying(LocalTopology t, long verified) {
        // Up to two minutes: on a busy 2-core machine five role JVMs take up to 50 s to start
        // (measured at load average 26), and this only waits for the flow, it judges nothing.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> verified(t) >= verified);
    }

    private static Report awaitFinal(LocalTopology t) {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() -> !t.verifier().isAlive());
        return t.finalReport().orElseThrow(() -> new AssertionError("no final report; see " + t.verifier().log()));
    }
}

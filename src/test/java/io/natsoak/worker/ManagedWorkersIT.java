package io.natsoak.worker;

import io.natsoak.model.Report;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.Soak;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Workers sharing partitions through the partition manager, against a real cluster, with the
 * verifier watching: every partition has exactly one owner at steady state, a graceful leave
 * moves partitions without waiting for the heartbeat TTL, a crash moves them within TTL + grace,
 * and nothing is lost or processed twice without a redelivery.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ManagedWorkersIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    private static boolean exactlyOneOwnerEach(List<WorkerService> workers, int partitions) {
        Set<Integer> seen = new HashSet<>();
        for (WorkerService w : workers) {
            for (int p : w.partitions()) {
                if (!seen.add(p)) {
                    return false;
                }
            }
        }
        return seen.size() == partitions;
    }

    @Test
    void partitionsMoveOnLeaveAndCrashWithoutLossOrUnexplainedDuplicates() throws Exception {
        try (Soak soak = new Soak(nats, "managed")
                .set("natsoak.partitions.count", "24").set("natsoak.partitions.rate", "5")
                .set("natsoak.partitions.distribution", "exponential")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "3")
                .managedWorkersWithShortTimings()
                .set("natsoak.duration", "0").set("natsoak.verifier.validation-window", "5s")) {
            soak.startVerifier();
            WorkerService a = soak.startWorker(0);
            WorkerService b = soak.startWorker(1);
            WorkerService c = soak.startWorker(2);
            soak.startProducers();
            // All three own partitions once the rebalance after the last join settled (a slow
            // machine can let the cold start end with two members; the third then joins planned).
            await().atMost(Duration.ofSeconds(30)).until(() -> exactlyOneOwnerEach(List.of(a, b, c), 24)
                    && !a.partitions().isEmpty() && !b.partitions().isEmpty() && !c.partitions().isEmpty());

            long leaveStarted = System.nanoTime();
            c.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> exactlyOneOwnerEach(List.of(a, b), 24));
            Duration leave = Duration.ofNanos(System.nanoTime() - leaveStarted);
            assertThat(leave).as("a graceful leave does not wait for the 2 s heartbeat TTL").isLessThan(Duration.ofSeconds(2));

            long crashStarted = System.nanoTime();
            b.abort();
            await().atMost(Duration.ofSeconds(30)).until(() -> exactlyOneOwnerEach(List.of(a), 24));
            Duration crash = Duration.ofNanos(System.nanoTime() - crashStarted);
            assertThat(crash).as("a crash moves partitions within TTL + grace (+ slack for this machine)").isLessThan(Duration.ofSeconds(8));

            long before = soak.verifier().report().verified();
            await().atMost(Duration.ofSeconds(30)).until(() -> soak.verifier().report().verified() > before + 100);
            Report r = soak.finish(60);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.verified()).isEqualTo(r.published());
        }
    }
}

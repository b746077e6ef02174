package io.natsoak.worker;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.natsoak.model.Report;
import io.natsoak.nats.LeaderReads;
import io.natsoak.nats.Names;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.Soak;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two ways a partition's handoff between workers went wrong in the chaos soak, each reproduced
 * against a real cluster with the verifier judging.
 * <ul>
 * <li>A replay that changes hands before it is finished. Owner A crashes with nothing committed;
 * owner B inherits the replay, processes a few messages of it and hands the partition on cleanly;
 * owner C must still mark the rest of A's work as possible redeliveries. A clean position alone
 * said "nothing after me was processed" and C receipted A's messages again as first deliveries
 * (seen when a partition moved twice within seconds: a group-wide fence, then a rebalance).</li>
 * <li>A grant that outlived its lease. Grants wait on the worker's handoff thread, and their
 * claims retry through a NATS outage; the outage also fences the worker, and the partition goes
 * to another member. The late claim overwrote the new owner's position, whose next commit then
 * failed its revision check: it gave the partition up and nobody read it any more.</li>
 * </ul>
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WorkerHandoffIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    @Test
    void aCleanHandoverInTheMiddleOfAReplayPassesTheRestOfTheReplayOn() throws Exception {
        try (Soak soak = new Soak(nats, "replayhandoff")
                .set("natsoak.partitions.count", "1").set("natsoak.partitions.rate", "200")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "1")
                .set("natsoak.worker.assignment", "static")
                // A never commits, so all it processed lies beyond its position when it crashes.
                .set("natsoak.worker.commit-interval", "1h")
                .set("natsoak.duration", "0").set("natsoak.verifier.validation-window", "15s")) {
            soak.startVerifier();
            soak.startProducers();
            WorkerService a = soak.startWorker(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> soak.verifier().report().verified() >= 300);
            a.abort();

            // B is slow (one message at a time, 300 ms each): it gets through only the start of the replay.
            soak.set("natsoak.worker.processing-delay-min", "300ms").set("natsoak.worker.processing-delay-max", "300ms")
                    .set("natsoak.worker.max-pending", "1");
            WorkerService b = soak.startWorker(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> soak.verifier().report().duplicates().redelivered() >= 2);
            b.stop();
            Position handedOver = position(soak);

            soak.set("natsoak.worker.processing-delay-min", "1ms").set("natsoak.worker.processing-delay-max", "5ms")
                    .set("natsoak.worker.max-pending", "20000");
            soak.startWorker(0);
            long before = soak.verifier().report().verified();
            await().atMost(Duration.ofSeconds(60)).until(() -> soak.verifier().report().verified() > before + 400);
            Report r = soak.finish(60);
            assertThat(r.duplicates().unexplained()).as("C must not receipt A's unfinished work as first deliveries").isZero();
            assertThat(r.duplicates().redelivered()).as("C replays the rest of A's work").isGreaterThan(250);
            assertThat(r.gaps()).isZero();
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(handedOver.clean()).as("B handed over gracefully").isTrue();
            assertThat(handedOver.replayUntil()).as("B's clean record still carries the replay it did not finish: %s", handedOver)
                    .isGreaterThanOrEqualTo(handedOver.streamSequence() + 300 - 10);
        }
    }

    @Test
    void aGrantDeliveredAfterTheLeaseMovedThePartitionClaimsNothing() throws Exception {
        try (Soak soak = new Soak(nats, "lategrant")
                .set("natsoak.partitions.count", "6").set("natsoak.partitions.rate", "20")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                .managedWorkersWithShortTimings()
                .set("natsoak.duration", "0").set("natsoak.verifier.validation-window", "5s")) {
            soak.startVerifier();
            WorkerService a = soak.startWorker(0);
            WorkerService b = soak.startWorker(1);
            soak.startProducers();
            await().atMost(Duration.ofSeconds(30)).until(() -> !a.partitions().isEmpty() && !b.partitions().isEmpty()
                    && a.partitions().size() + b.partitions().size() == 6 && a.manager().owned().equals(a.partitions())
                    && b.manager().owned().equals(b.partitions()));
            int moved = b.partitions().iterator().next();
            await().atMost(Duration.ofSeconds(10)).until(() -> position(soak, moved).owner().startsWith("worker-1-"));

            // What a fenced worker's handoff thread does after the outage: run a grant queued before it.
            a.ownership().grant(1, Set.of(moved));

            // Long enough for the late claim to run and for B to commit (and, if overwritten, give up) twice.
            Thread.sleep(3_000);
            Set<Integer> aHolds = a.partitions();
            long before = soak.verifier().report().verified();
            await().atMost(Duration.ofSeconds(30)).until(() -> soak.verifier().report().verified() > before + 100);
            Report r = soak.finish(60);
            assertThat(r.verdict()).as("%s: the partition's owner must keep it", r.reasons()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(aHolds).as("the late grant started nothing").doesNotContain(moved);
            assertThat(position(soak, moved).owner()).as("the position still belongs to the owner the manager chose").startsWith("worker-1-");
        }
    }

    private static Position position(Soak soak) throws Exception {
        return position(soak, 0);
    }

    private static Position position(Soak soak, int partition) throws Exception {
        try (Connection c = Nats.connect(nats.urls().get(0))) {
            // From the bucket's stream leader: a follower may not have applied B's last commit yet.
            return Position.decode(LeaderReads.kvMessage(c, new Names(soak.runId()).positionsBucket(), Names.positionKey(partition))
                    .orElseThrow().getData());
        }
    }
}

package io.natsoak.verifier;

import io.natsoak.model.Report;
import io.natsoak.model.Report.GapRange;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The classification of gaps against an in-memory data stream; the NATS reads are GapAttributionIT's. */
class GapAttributorTest {

    private static final GapAttributor.Limits QUICK = new GapAttributor.Limits(100, 1_000, Duration.ofMinutes(1), Duration.ofSeconds(5));

    /** Partition -> stored messages in stream order; partition -> committed position; verified (partition, sequence). */
    private final Map<Integer, List<GapAttributor.Stored>> stream = new HashMap<>();
    private final Map<Integer, Long> positions = new HashMap<>();
    private final Set<String> verified = new HashSet<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final AtomicInteger scans = new AtomicInteger();

    private final GapAttributor.StreamFacts facts = new GapAttributor.StreamFacts() {
        @Override
        public long committedPosition(int partition) throws IOException {
            failIfAsked();
            return positions.getOrDefault(partition, 0L);
        }

        @Override
        public GapAttributor.Scan scan(int partition, long from, long to, long budget) throws IOException {
            failIfAsked();
            scans.incrementAndGet();
            List<GapAttributor.Stored> all = stream.getOrDefault(partition, List.of());
            List<GapAttributor.Stored> out = new ArrayList<>();
            for (GapAttributor.Stored s : all) {
                if (out.size() >= budget) {
                    return new GapAttributor.Scan(out, false, out.size());
                }
                out.add(s);
            }
            return new GapAttributor.Scan(out, true, out.size());
        }
    };

    private void failIfAsked() throws IOException {
        if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IOException("no responders (the stream is electing a leader)");
        }
    }

    /** Stores sequences 1..n of the partition at stream sequences 10, 20, ..., except {@code missing}. */
    private void store(int partition, long n, long... missing) {
        Set<Long> gone = new HashSet<>();
        for (long m : missing) {
            gone.add(m);
        }
        List<GapAttributor.Stored> list = new ArrayList<>();
        for (long s = 1; s <= n; s++) {
            if (!gone.contains(s)) {
                list.add(new GapAttributor.Stored(s, s * 10));
            }
        }
        stream.put(partition, list);
    }

    private void verify(int partition, long from, long to) {
        for (long s = from; s <= to; s++) {
            verified.add(partition + "/" + s);
        }
    }

    private Report.GapAttribution attribute(GapAttributor.Limits limits, long total, GapRange... gaps) {
        return new GapAttributor(facts, (p, s) -> verified.contains(p + "/" + s), limits, System::nanoTime).attribute(List.of(gaps), total);
    }

    private Report.GapAttribution attribute(GapRange... gaps) {
        long total = 0;
        for (GapRange g : gaps) {
            total += g.to() - g.from() + 1;
        }
        return attribute(QUICK, total, gaps);
    }

    @Test
    void aSequenceTheStreamNoLongerHoldsWasLostByTheServer() {
        store(0, 10, 4, 5);
        verify(0, 1, 3);
        verify(0, 6, 10);
        positions.put(0, 100L);
        Report.GapAttribution a = attribute(new GapRange(0, 4, 5));
        assertThat(a.lostByServer()).isEqualTo(2);
        assertThat(a.lostInPipeline() + a.unprocessed() + a.undetermined()).isZero();
        assertThat(a.lostByServerSamples()).containsExactly(new GapRange(0, 4, 5));
    }

    @Test
    void aHeldSequenceAtOrBelowTheCommittedPositionWasLostInThePipeline() {
        store(0, 10);
        verify(0, 1, 3);
        verify(0, 5, 10);
        positions.put(0, 40L); // exactly sequence 4's stream sequence
        Report.GapAttribution a = attribute(new GapRange(0, 4, 4));
        assertThat(a.lostInPipeline()).isEqualTo(1);
        assertThat(a.lostInPipelineSamples()).containsExactly(new GapRange(0, 4, 4));
        assertThat(a.lostByServer() + a.unprocessed() + a.undetermined()).isZero();
    }

    @Test
    void aLaterStoredMessageThatWasProcessedMeansConsumptionWentPastEvenBeforeThePositionIsCommitted() {
        store(0, 10);
        verify(0, 1, 3);
        verify(0, 5, 5);
        positions.put(0, 30L);
        Report.GapAttribution a = attribute(new GapRange(0, 4, 4), new GapRange(0, 6, 10));
        assertThat(a.lostInPipeline()).as("4 is below 5, which was processed").isEqualTo(1);
        assertThat(a.unprocessed()).as("6..10 lie after everything processed").isEqualTo(5);
        assertThat(a.unprocessedSamples()).containsExactly(new GapRange(0, 6, 10));
    }

    @Test
    void heldSequencesAfterTheConsumptionPositionAreUnprocessedNotLost() {
        store(1, 20);
        verify(1, 1, 12);
        positions.put(1, 120L);
        Report.GapAttribution a = attribute(new GapRange(1, 13, 20));
        assertThat(a.unprocessed()).isEqualTo(8);
        assertThat(a.lostByServer() + a.lostInPipeline() + a.undetermined()).isZero();
        assertThat(GapReasons.attributed(a)).singleElement().asString().startsWith("8 message(s) never processed").doesNotContain("lost");
    }

    @Test
    void oneRangeCanHoldEveryClassAndTheCountsAddUpToTheGaps() {
        // 5 and 6 deleted, 7 skipped by a worker (position 90 went past it), 10..12 waiting after the position.
        store(0, 12, 5, 6);
        verify(0, 1, 4);
        verify(0, 8, 9);
        positions.put(0, 90L);
        Report.GapAttribution a = attribute(new GapRange(0, 5, 7), new GapRange(0, 10, 12));
        assertThat(a.lostByServer()).isEqualTo(2);
        assertThat(a.lostInPipeline()).isEqualTo(1);
        assertThat(a.unprocessed()).isEqualTo(3);
        assertThat(a.total()).isEqualTo(6);
        assertThat(GapReasons.attributed(a)).hasSize(3);
        assertThat(GapReasons.attributed(a).get(0)).startsWith("2 message(s) lost by the server");
        assertThat(GapReasons.attributed(a).get(1)).startsWith("1 message(s) lost in the pipeline");
    }

    @Test
    void aShortLeaderOutageIsRetriedAndChangesNoClass() {
        store(0, 10, 4);
        positions.put(0, 100L);
        verify(0, 5, 10);
        failuresLeft.set(3);
        Report.GapAttribution a = attribute(new GapRange(0, 4, 4));
        assertThat(a.lostByServer()).isEqualTo(1);
        assertThat(a.undetermined()).isZero();
    }

    @Test
    void aStreamThatStaysUnreadableLeavesItsGapsUndeterminedAndIsNotAskedAgainForEachRange() {
        store(0, 10, 4, 8);
        failuresLeft.set(Integer.MAX_VALUE);
        GapAttributor.Limits impatient = new GapAttributor.Limits(100, 1_000, Duration.ofMinutes(1), Duration.ofMillis(300));
        long started = System.nanoTime();
        Report.GapAttribution a = attribute(impatient, 2, new GapRange(0, 4, 4), new GapRange(0, 8, 8));
        assertThat(a.undetermined()).isEqualTo(2);
        assertThat(a.lostByServer() + a.lostInPipeline() + a.unprocessed()).isZero();
        assertThat(a.undeterminedBecause()).contains("could not be read").contains("no responders");
        assertThat(a.undeterminedSamples()).containsExactly(new GapRange(0, 4, 4), new GapRange(0, 8, 8));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("one patience, not one per range").isLessThan(Duration.ofSeconds(3));
        assertThat(GapReasons.attributed(a)).singleElement().asString().startsWith("2 missing message(s) not attributed");
    }

    @Test
    void theWorkIsBoundedAndWhatLiesBeyondTheBoundIsUndeterminedButCounted() {
        store(0, 50, 4);
        store(1, 50, 4);
        positions.put(0, 1_000L);
        positions.put(1, 1_000L);
        GapAttributor.Limits small = new GapAttributor.Limits(100, 60, Duration.ofMinutes(1), Duration.ofSeconds(5));
        // Partition 0 reads its 49 messages, partition 1 gets the 11 left: incomplete. 7 more gaps were never listed.
        Report.GapAttribution a = attribute(small, 9, new GapRange(0, 4, 4), new GapRange(1, 4, 4));
        assertThat(a.lostByServer()).isEqualTo(1);
        assertThat(a.undetermined()).isEqualTo(8);
        assertThat(a.total()).isEqualTo(9);
        assertThat(a.undeterminedBecause()).contains("60 messages");
    }

    @Test
    void thePositionOfAPartitionIsReadOnceForAllItsRanges() {
        store(0, 30, 3, 13, 23);
        positions.put(0, 1_000L);
        Report.GapAttribution a = attribute(new GapRange(0, 3, 3), new GapRange(0, 13, 13), new GapRange(0, 23, 23));
        assertThat(a.lostByServer()).isEqualTo(3);
        assertThat(a.lostByServerSamples()).hasSize(3);
        assertThat(scans).hasValue(3);
    }

    @Test
    void unattributedMeansEveryGapUndetermined() {
        Report.GapAttribution a = GapAttributor.unattributed(List.of(new GapRange(2, 1, 5)), 7, "the verifier had no NATS connection");
        assertThat(a.undetermined()).isEqualTo(7);
        assertThat(a.undeterminedSamples()).containsExactly(new GapRange(2, 1, 5));
    }

    @Test
    void aPositionRecordsStreamSequenceIsItsFirstField() {
        assertThat(DataStreamFacts.positionOf("1234,clean,0,worker-1-abc")).isEqualTo(1234);
        assertThat(DataStreamFacts.positionOf("7,running,12,w-x")).isEqualTo(7);
    }
}

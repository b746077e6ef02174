package io.natsoak.verifier;

import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Receipt;
import io.natsoak.model.Report;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class VerificationTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Verification v = new Verification(4, 1, Duration.ofSeconds(10), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private void marks(long p0, boolean last) {
        v.onMarks(new ProducerMarks(0, 0, last, Map.of(0, p0)));
    }

    private void receipt(int partition, long seq, int deliveries) {
        v.onReceipt(new Receipt(partition, seq, deliveries, 1000));
    }

    @Test
    void everythingVerifiedPasses() {
        marks(5, true);
        for (long s = 1; s <= 5; s++) {
            receipt(0, s, 1);
        }
        v.finish();
        Report r = v.report("t", 10, true);
        assertThat(r.verdict()).isEqualTo("PASS");
        assertThat(r.published()).isEqualTo(5);
        assertThat(r.verified()).isEqualTo(5);
        assertThat(r.received()).isEqualTo(5);
        assertThat(r.gaps()).isZero();
        assertThat(r.inFlight()).isZero();
        assertThat(r.throughputPerSecond()).isEqualTo(0.5);
    }

    @Test
    void missingSequenceIsInFlightWithinTheWindowAndAGapAfterIt() {
        marks(5, false);
        receipt(0, 1, 1);
        receipt(0, 2, 1);
        receipt(0, 4, 1);
        advance(Duration.ofSeconds(9));
        v.expire();
        assertThat(v.report("t", 9, false).gaps()).isZero();
        assertThat(v.inFlight()).isEqualTo(2);
        advance(Duration.ofSeconds(2));
        v.expire();
        Report r = v.report("t", 11, false);
        assertThat(r.gaps()).isEqualTo(2);
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(r.gapSamples()).containsExactly(new Report.GapRange(0, 3, 3), new Report.GapRange(0, 5, 5));
        assertThat(r.reasons()).anyMatch(reason -> reason.startsWith("2 message(s) lost"));
    }

    @Test
    void theWindowCountsFromWhenTheProducerAcknowledgedEachSequence() {
        marks(2, false);
        advance(Duration.ofSeconds(8));
        marks(4, false);
        advance(Duration.ofSeconds(3));
        v.expire();
        assertThat(v.report("t", 0, false).gaps()).as("1..2 are older than the window, 3..4 are not").isEqualTo(2);
    }

    @Test
    void aLateReceiptTurnsAGapBackIntoAVerifiedSequence() {
        marks(3, false);
        receipt(0, 1, 1);
        receipt(0, 3, 1);
        advance(Duration.ofSeconds(11));
        v.expire();
        assertThat(v.report("t", 0, false).gaps()).isEqualTo(1);
        receipt(0, 2, 1);
        Report r = v.report("t", 0, false);
        assertThat(r.gaps()).isZero();
        assertThat(r.verified()).isEqualTo(3);
        assertThat(r.duplicates().unexplained()).isZero();
    }

    @Test
    void duplicatesAreClassifiedByDeliveryCount() {
        marks(3, true);
        receipt(0, 1, 1);
        receipt(0, 2, 1);
        receipt(0, 3, 1);
        receipt(0, 2, 2);
        receipt(0, 3, 1);
        v.finish();
        Report r = v.report("t", 1, true);
        assertThat(r.duplicates().redelivered()).isEqualTo(1);
        assertThat(r.duplicates().unexplained()).isEqualTo(1);
        assertThat(r.verified()).isEqualTo(3);
        assertThat(r.received()).isEqualTo(5);
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(r.reasons()).containsExactly("1 unexplained duplicate(s): processed twice without a redelivery");
    }

    @Test
    void aReplayReceiptedBeforeTheStaleOriginalStillExplainsTheDuplicate() {
        // A fenced owner's batch for 2..3 is stuck in a publish retry; the new owner's replay lands first.
        marks(4, true);
        receipt(0, 1, 1);
        receipt(0, 2, 2);
        receipt(0, 3, 2);
        receipt(0, 4, 1);
        receipt(0, 2, 1);
        receipt(0, 3, 1);
        receipt(0, 4, 1); // 4 was never replayed: still unexplained
        v.finish();
        Report r = v.report("t", 1, true);
        assertThat(r.duplicates().redelivered()).isEqualTo(2);
        assertThat(r.duplicates().unexplained()).isEqualTo(1);
    }

    @Test
    void aReplayIsForgottenAfterTenValidationWindows() {
        marks(2, false);
        receipt(0, 1, 2);
        advance(Duration.ofSeconds(110 + 1));
        v.expire();
        receipt(0, 1, 1);
        Report r = v.report("t", 1, false);
        assertThat(r.duplicates().unexplained()).isEqualTo(1);
    }

    @Test
    void onlyRedeliveredDuplicatesStillPass() {
        marks(2, true);
        receipt(0, 1, 1);
        receipt(0, 2, 1);
        receipt(0, 1, 2);
        v.finish();
        Report r = v.report("t", 1, true);
        assertThat(r.verdict()).isEqualTo("PASS");
        assertThat(r.duplicates().redelivered()).isEqualTo(1);
    }

    @Test
    void finishTurnsEverythingStillMissingIntoGaps() {
        marks(10, true);
        receipt(0, 1, 1);
        v.finish();
        Report r = v.report("t", 1, true);
        assertThat(r.gaps()).isEqualTo(9);
        assertThat(r.inFlight()).isZero();
    }

    @Test
    void receiptsForUnknownPartitionsFailTheRun() {
        marks(1, true);
        receipt(0, 1, 1);
        receipt(99, 1, 1);
        v.finish();
        Report r = v.report("t", 1, true);
        assertThat(r.invalidReceipts()).isEqualTo(1);
        assertThat(r.verdict()).isEqualTo("FAIL");
    }

    @Test
    void aRunWhereNothingWasPublishedFails() {
        v.onMarks(new ProducerMarks(0, 0, true, Map.of()));
        v.finish();
        assertThat(v.report("t", 1, true).reasons()).containsExactly("nothing was published");
    }

    @Test
    void producersThatNeverReportedTheirLastMarksFailTheFinalVerdict() {
        marks(1, false);
        receipt(0, 1, 1);
        assertThat(v.producersDone()).isFalse();
        v.finish();
        assertThat(v.report("t", 1, true).reasons()).containsExactly("1 of 1 producer(s) never reported their last message");
    }

    @Test
    void latencyIsReportedInMilliseconds() {
        marks(1, true);
        v.onReceipt(new Receipt(0, 1, 1, 25_000));
        Report.Latency l = v.report("t", 1, true).latencyMillis();
        assertThat(l.p50()).isBetween(24.9, 25.1);
        assertThat(l.max()).isBetween(24.9, 25.1);
    }
}

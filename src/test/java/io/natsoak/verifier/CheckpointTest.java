package io.natsoak.verifier;

import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.model.Report;
import io.natsoak.verifier.PartitionLedger.Outcome;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips of every piece of the verifier's checkpoint, and refusal of damaged or foreign ones. */
class CheckpointTest {

    private static final Duration WINDOW = Duration.ofSeconds(10);
    private final AtomicLong now = new AtomicLong(5_000_000_000L);

    // ------------------------------------------------------------------ ledger

    @Test
    void aLedgerWithGapsBitsAndFarRunsRestoresToTheSameStateAndBehaviour() {
        PartitionLedger original = new PartitionLedger(128); // small cap: far runs after 128 sequences
        for (long s = 1; s <= 50; s++) {
            original.record(s);
        }
        original.record(60);
        original.record(62);
        original.expireUpTo(55); // gap 51-55, watermark 55
        original.record(53); // late: splits the gap
        original.record(70);
        original.record(1_000); // far: beyond the bitset cap
        original.record(1_001);
        original.record(5_000);
        assertThat(original.gaps()).isEqualTo(4);
        PartitionLedger restored = roundTrip(original);

        assertSameLedger(restored, original);
        // Same answers from here on, whatever arrives.
        long[] next = {56, 57, 58, 59, 60, 61, 52, 53, 999, 1_000, 1_002, 5_000, 63, 64};
        for (long s : next) {
            assertThat(restored.record(s)).as("sequence %d", s).isEqualTo(original.record(s));
        }
        assertThat(restored.expireUpTo(2_000)).isEqualTo(original.expireUpTo(2_000));
        assertSameLedger(restored, original);
    }

    @Test
    void aRandomLedgerSurvivesTheRoundTrip() {
        Random random = new Random(42);
        PartitionLedger original = new PartitionLedger(256);
        for (int i = 0; i < 5_000; i++) {
            long s = 1 + random.nextInt(4_000);
            original.record(s);
            if (i % 700 == 0) {
                original.expireUpTo(original.watermark() + random.nextInt(40));
            }
        }
        PartitionLedger restored = roundTrip(original);
        assertSameLedger(restored, original);
        for (int i = 0; i < 3_000; i++) {
            long s = 1 + random.nextInt(6_000);
            assertThat(restored.record(s)).isEqualTo(original.record(s));
        }
        assertSameLedger(restored, original);
    }

    @Test
    void anEmptyAndAPurelyInOrderLedgerRestore() {
        assertSameLedger(roundTrip(new PartitionLedger()), new PartitionLedger());
        PartitionLedger inOrder = new PartitionLedger();
        for (long s = 1; s <= 1_000; s++) {
            inOrder.record(s);
        }
        PartitionLedger restored = roundTrip(inOrder);
        assertSameLedger(restored, inOrder);
        assertThat(restored.record(1_001)).isEqualTo(Outcome.FIRST);
        assertThat(restored.record(500)).isEqualTo(Outcome.DUPLICATE);
    }

    @Test
    void aLedgerStateWhoseCountsDoNotAddUpIsRefused() {
        PartitionLedger l = new PartitionLedger();
        l.record(1);
        l.record(5);
        l.expireUpTo(3);
        PartitionLedger.State s = l.state();
        PartitionLedger.State wrongCount = new PartitionLedger.State(s.maxWindowBits(), s.watermark(), s.verified() + 1, s.highestSeen(),
                s.base(), s.words(), s.gapFrom(), s.gapTo(), s.gapCount(), s.farFrom(), s.farTo());
        assertThatThrownBy(() -> PartitionLedger.restore(wrongCount)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("verified count");
        PartitionLedger.State gapAboveWatermark = new PartitionLedger.State(s.maxWindowBits(), s.watermark(), s.verified(), s.highestSeen(),
                s.base(), s.words(), new long[] {2, 9}, new long[] {3, 9}, 3, s.farFrom(), s.farTo());
        assertThatThrownBy(() -> PartitionLedger.restore(gapAboveWatermark)).hasMessageContaining("above the watermark");
        PartitionLedger.State unsortedGaps = new PartitionLedger.State(s.maxWindowBits(), 10, 7, 10, 11, new long[0],
                new long[] {5, 2}, new long[] {5, 3}, 3, new long[0], new long[0]);
        assertThatThrownBy(() -> PartitionLedger.restore(unsortedGaps)).hasMessageContaining("ascending");
        PartitionLedger.State badCap = new PartitionLedger.State(100, 0, 0, 0, 1, new long[0], new long[0], new long[0], 0,
                new long[0], new long[0]);
        assertThatThrownBy(() -> PartitionLedger.restore(badCap)).hasMessageContaining("power of two");
    }

    private static PartitionLedger roundTrip(PartitionLedger l) {
        return PartitionLedger.restore(l.state());
    }

    private static void assertSameLedger(PartitionLedger actual, PartitionLedger expected) {
        assertThat(actual.watermark()).isEqualTo(expected.watermark());
        assertThat(actual.verified()).isEqualTo(expected.verified());
        assertThat(actual.highestSeen()).isEqualTo(expected.highestSeen());
        assertThat(actual.gaps()).isEqualTo(expected.gaps());
        assertThat(actual.gapRanges(Integer.MAX_VALUE)).containsExactlyElementsOf(expected.gapRanges(Integer.MAX_VALUE));
        for (long hwm = 0; hwm <= expected.highestSeen() + 10; hwm += 7) {
            assertThat(actual.missingUpTo(hwm)).as("missing up to %d", hwm).isEqualTo(expected.missingUpTo(hwm));
        }
    }

    // ------------------------------------------------------------------ the whole verification, through the binary format

    private Verification fresh(int partitions) {
        return new Verification(partitions, 2, WINDOW, now::get);
    }

    /** Marks, in-order and out-of-order receipts, a gap, a late arrival, both duplicate classes, an invalid receipt. */
    private void feed(Verification v) {
        v.onMarks(new ProducerMarks(0, 111, false, Map.of(0, 100L, 2, 40L)));
        v.onMarks(new ProducerMarks(1, 222, true, Map.of(1, 30L)));
        List<Receipt> receipts = new ArrayList<>();
        for (long s = 1; s <= 80; s++) {
            if (s != 20 && s != 21) {
                receipts.add(new Receipt(0, s, 1, 1_000 + s * 10));
            }
        }
        for (long s = 1; s <= 30; s++) {
            receipts.add(new Receipt(1, s, s > 25 ? 2 : 1, 50_000));
        }
        receipts.add(new Receipt(2, 5, 1, 7_000));
        receipts.add(new Receipt(0, 7, 1, 900)); // unexplained duplicate
        receipts.add(new Receipt(1, 27, 2, 900)); // redelivered duplicate
        receipts.add(new Receipt(9, 1, 1, 1)); // no such partition
        v.onBatch(new ReceiptBatch("w", receipts));
        now.addAndGet(WINDOW.toNanos() + 1);
        v.expire(); // 20, 21 and 81-100 of partition 0 and 1-4, 6-40 of partition 2 become gaps
        v.onReceipt(new Receipt(0, 21, 2, 3_000)); // late
    }

    @Test
    void theWholeVerificationRoundTripsThroughTheBinaryFormat() throws Exception {
        Verification original = fresh(3);
        feed(original);
        Checkpoint written = new Checkpoint("run-1", 1234, 77, original.snapshot());
        Checkpoint read = Checkpoint.decode(written.encode());

        assertThat(read.runId()).isEqualTo("run-1");
        assertThat(read.writtenAtMillis()).isEqualTo(1234);
        assertThat(read.receiptsPosition()).isEqualTo(77);
        assertThat(read.partitions()).isEqualTo(3);
        Verification restored = fresh(3);
        restored.restore(read.state());

        Report a = original.report("r", 10, false);
        Report b = restored.report("r", 10, false);
        assertThat(b).isEqualTo(a);
        assertThat(a.gaps()).as("the fixture has gaps").isPositive();
        assertThat(a.duplicates()).as("the fixture has both duplicate classes").isEqualTo(new Report.Duplicates(1, 1));
        assertThat(a.invalidReceipts()).isEqualTo(1);
        assertThat(a.latencyMillis().p99()).isPositive();
        assertThat(restored.producersDone()).isEqualTo(original.producersDone());

        // The same input from here on gives the same report (replayed ranges included).
        for (Verification v : List.of(original, restored)) {
            v.onReceipt(new Receipt(1, 3, 1, 10)); // unexplained
            v.onReceipt(new Receipt(1, 26, 1, 10)); // explained by the earlier replay of 26
            v.onReceipt(new Receipt(0, 20, 1, 10)); // late
            v.onMarks(new ProducerMarks(0, 333, true, Map.of(0, 100L, 2, 40L)));
            v.finish();
        }
        assertThat(restored.report("r", 20, true)).isEqualTo(original.report("r", 20, true));
    }

    @Test
    void theLatencyHistogramAndCountersRoundTrip() throws Exception {
        Verification original = fresh(1);
        original.onMarks(new ProducerMarks(0, 0, false, Map.of(0, 10_000L)));
        Random random = new Random(7);
        for (long s = 1; s <= 10_000; s++) {
            original.onReceipt(new Receipt(0, s, 1, (long) (Math.abs(random.nextGaussian()) * 200_000)));
        }
        Verification restored = fresh(1);
        restored.restore(Checkpoint.decode(new Checkpoint("r", 0, 1, original.snapshot()).encode()).state());
        Report.Latency a = original.report("r", 1, false).latencyMillis();
        Report.Latency b = restored.report("r", 1, false).latencyMillis();
        assertThat(b).isEqualTo(a);
        assertThat(restored.report("r", 1, false).received()).isEqualTo(10_000);
    }

    @Test
    void restoredMarksStartTheirValidationWindowAgain() throws Exception {
        Verification original = fresh(1);
        original.onMarks(new ProducerMarks(0, 0, false, Map.of(0, 10L)));
        original.onReceipt(new Receipt(0, 1, 1, 1));
        now.addAndGet(WINDOW.toNanos() - 1_000); // just inside the window
        Checkpoint c = Checkpoint.decode(new Checkpoint("r", 0, 1, original.snapshot()).encode());
        now.addAndGet(60_000_000_000L); // the verifier was down for a minute
        Verification restored = fresh(1);
        restored.restore(c.state());
        restored.expire();
        assertThat(restored.report("r", 1, false).gaps()).as("no gap before a window after the restore").isZero();
        assertThat(restored.inFlight()).isEqualTo(9);
        now.addAndGet(WINDOW.toNanos() + 1);
        restored.expire();
        assertThat(restored.report("r", 1, false).gaps()).isEqualTo(9);
    }

    // ------------------------------------------------------------------ refusals

    private byte[] someCheckpoint() {
        Verification v = fresh(3);
        feed(v);
        return new Checkpoint("run-1", 1, 2, v.snapshot()).encode();
    }

    @Test
    void aDamagedCheckpointIsRefusedWithAClearReason() {
        byte[] good = someCheckpoint();
        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x5A;
        assertRefused(flipped, "damaged");
        assertRefused(java.util.Arrays.copyOf(good, good.length - 9), "truncated");
        assertRefused("{\"not\": \"a checkpoint\"}".getBytes(), "damaged");
        assertRefused(new byte[0], "truncated");
    }

    @Test
    void somethingElseThatIsGzippedOrAnotherVersionIsRefused() throws IOException {
        assertRefused(gzip(out -> out.writeBytes("hello, checkpoint reader")), "not a natsoak verifier checkpoint");
        assertRefused(gzip(out -> {
            out.writeInt(0x4E535643);
            out.writeShort(Checkpoint.VERSION + 1);
        }), "format version " + (Checkpoint.VERSION + 1) + "; this verifier reads versions 1 to " + Checkpoint.VERSION);
        assertRefused(gzip(out -> {
            out.writeInt(0x4E535643);
            out.writeShort(Checkpoint.VERSION);
            out.writeUTF("r");
            out.writeInt(Integer.MAX_VALUE); // partitions: more than the bytes could hold
        }), "announces 2147483647 partitions");
    }

    @Test
    void aCheckpointOfAnotherRunOrShapeIsRefused() throws Exception {
        Checkpoint c = Checkpoint.decode(someCheckpoint());
        c.checkBelongsTo("run-1", 3, 2);
        assertThatThrownBy(() -> c.checkBelongsTo("run-2", 3, 2)).isInstanceOf(CheckpointException.class)
                .hasMessage("it belongs to run \"run-1\" with 3 partitions and 2 producers; this verifier checks run \"run-2\" with 3 partitions and 2 producers");
        assertThatThrownBy(() -> c.checkBelongsTo("run-1", 4, 2)).isInstanceOf(CheckpointException.class);
        assertThatThrownBy(() -> c.checkBelongsTo("run-1", 3, 1)).isInstanceOf(CheckpointException.class);
    }

    @Test
    void anInconsistentStateIsRefusedAndChangesNothing() throws Exception {
        Verification target = fresh(3);
        target.onMarks(new ProducerMarks(0, 0, false, Map.of(0, 5L)));
        target.onReceipt(new Receipt(0, 1, 1, 1));
        Report before = target.report("r", 1, false);
        Verification.Snapshot s = Checkpoint.decode(someCheckpoint()).state();
        PartitionLedger.State[] ledgers = s.ledgers().clone();
        PartitionLedger.State l = ledgers[2];
        ledgers[2] = new PartitionLedger.State(l.maxWindowBits(), l.watermark(), l.verified() + 3, l.highestSeen(), l.base(), l.words(),
                l.gapFrom(), l.gapTo(), l.gapCount(), l.farFrom(), l.farTo());
        Verification.Snapshot broken = new Verification.Snapshot(s.producers(), ledgers, s.replays(), s.published(), s.latestMarks(),
                s.received(), s.redelivered(), s.unexplained(), s.invalid(), s.latency());
        assertThatThrownBy(() -> target.restore(broken)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("partition 2: verified count");
        assertThat(target.report("r", 1, false)).isEqualTo(before);
    }

    private static void assertRefused(byte[] stored, String reason) {
        assertThatThrownBy(() -> Checkpoint.decode(stored)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @FunctionalInterface
    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] gzip(Writer writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes))) {
            writer.write(out);
        }
        return bytes.toByteArray();
    }
}

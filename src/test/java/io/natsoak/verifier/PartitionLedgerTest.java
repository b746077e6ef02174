package io.natsoak.verifier;

import io.natsoak.verifier.PartitionLedger.Outcome;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

class PartitionLedgerTest {

    private static final long SMALL = 1024;

    @Test
    void isVerifiedReadsWithoutChangingAnything() {
        PartitionLedger l = new PartitionLedger(128);
        for (long s : new long[] {1, 2, 3, 6, 9, 10_000}) {
            l.record(s);
        }
        l.expireUpTo(5); // 4 and 5 become gaps, the watermark moves to 6
        assertThat(l.isVerified(1)).isTrue();
        assertThat(l.isVerified(4)).as("a gap").isFalse();
        assertThat(l.isVerified(6)).isTrue();
        assertThat(l.isVerified(7)).as("in flight").isFalse();
        assertThat(l.isVerified(9)).as("in the bitset").isTrue();
        assertThat(l.isVerified(10_000)).as("a far run").isTrue();
        assertThat(l.isVerified(10_001)).isFalse();
        assertThat(l.isVerified(0)).isFalse();
        assertThat(l.gaps()).isEqualTo(2);
        assertThat(l.verified()).isEqualTo(6);
    }

    @Test
    void freshLedgerIsEmpty() {
        PartitionLedger l = new PartitionLedger();
        assertThat(l.watermark()).isZero();
        assertThat(l.verified()).isZero();
        assertThat(l.highestSeen()).isZero();
        assertThat(l.gaps()).isZero();
        assertThat(l.missingUpTo(10)).isEqualTo(10);
        assertThat(l.gapRanges(10)).isEmpty();
        assertThat(l.retainedBytes()).isPositive().isLessThan(SMALL);
    }

    @Test
    void inOrderRecordsAreFirstAndAdvanceTheWatermark() {
        PartitionLedger l = new PartitionLedger();
        for (long s = 1; s <= 100; s++) {
            assertThat(l.record(s)).isEqualTo(Outcome.FIRST);
            assertThat(l.watermark()).isEqualTo(s);
        }
        assertThat(l.verified()).isEqualTo(100);
        assertThat(l.highestSeen()).isEqualTo(100);
        assertThat(l.missingUpTo(100)).isZero();
        assertThat(l.missingUpTo(105)).isEqualTo(5);
    }

    @Test
    void outOfOrderRecordsHoldTheWatermarkUntilTheHoleIsFilled() {
        PartitionLedger l = new PartitionLedger();
        assertThat(l.record(3)).isEqualTo(Outcome.FIRST);
        assertThat(l.record(5)).isEqualTo(Outcome.FIRST);
        assertThat(l.record(2)).isEqualTo(Outcome.FIRST);
        assertThat(l.watermark()).isZero();
        assertThat(l.highestSeen()).isEqualTo(5);
        assertThat(l.missingUpTo(5)).isEqualTo(2); // 1 and 4
        assertThat(l.missingUpTo(3)).isEqualTo(1); // 1
        assertThat(l.record(1)).isEqualTo(Outcome.FIRST);
        assertThat(l.watermark()).isEqualTo(3);
        assertThat(l.record(4)).isEqualTo(Outcome.FIRST);
        assertThat(l.watermark()).isEqualTo(5);
        assertThat(l.verified()).isEqualTo(5);
        assertThat(l.gaps()).isZero();
    }

    @Test
    void duplicateAtOrBelowTheWatermarkIsDetected() {
        PartitionLedger l = new PartitionLedger();
        for (long s = 1; s <= 10; s++) {
            l.record(s);
        }
        assertThat(l.record(1)).isEqualTo(Outcome.DUPLICATE);
        assertThat(l.record(10)).isEqualTo(Outcome.DUPLICATE);
        assertThat(l.verified()).isEqualTo(10);
        assertThat(l.watermark()).isEqualTo(10);
    }

    @Test
    void duplicateAboveTheWatermarkIsDetected() {
        PartitionLedger l = new PartitionLedger();
        l.record(1);
        assertThat(l.record(7)).isEqualTo(Outcome.FIRST);
        assertThat(l.record(7)).isEqualTo(Outcome.DUPLICATE);
        assertThat(l.record(500)).isEqualTo(Outcome.FIRST);
        assertThat(l.record(500)).isEqualTo(Outcome.DUPLICATE);
        assertThat(l.verified()).isEqualTo(3);
        assertThat(l.watermark()).isEqualTo(1);
    }

    @Test
    void expireDeclaresExactlyTheMissingSequencesAsGaps() {
        PartitionLedger l = new PartitionLedger();
        for (long s : new long[] {1, 2, 5, 7, 8}) {
            l.record(s);
        }
        assertThat(l.expireUpTo(6)).isEqualTo(3); // 3, 4, 6
        assertThat(l.gaps()).isEqualTo(3);
        assertThat(l.watermark()).isEqualTo(8); // 7 and 8 were already verified
        assertThat(ranges(l.gapRanges(10))).containsExactly("3-4", "6-6");
        assertThat(l.missingUpTo(8)).isZero();
        assertThat(l.expireUpTo(6)).isZero();
        assertThat(l.expireUpTo(8)).isZero();
        assertThat(l.verified()).isEqualTo(5);
    }

    @Test
    void expireBelowTheWatermarkIsANoOp() {
        PartitionLedger l = new PartitionLedger();
        l.record(1);
        l.record(2);
        assertThat(l.expireUpTo(0)).isZero();
        assertThat(l.expireUpTo(-5)).isZero();
        assertThat(l.expireUpTo(2)).isZero();
        assertThat(l.gaps()).isZero();
    }

    @Test
    void lateArrivalAfterExpireStopsBeingAGapAndCountsAsVerified() {
        PartitionLedger l = new PartitionLedger();
        l.record(1);
        l.record(10);
        assertThat(l.expireUpTo(9)).isEqualTo(8); // 2..9
        assertThat(ranges(l.gapRanges(10))).containsExactly("2-9");

        assertThat(l.record(5)).isEqualTo(Outcome.LATE); // splits the range
        assertThat(ranges(l.gapRanges(10))).containsExactly("2-4", "6-9");
        assertThat(l.record(2)).isEqualTo(Outcome.LATE); // trims the start
        assertThat(l.record(9)).isEqualTo(Outcome.LATE); // trims the end
        assertThat(ranges(l.gapRanges(10))).containsExactly("3-4", "6-8");
        assertThat(l.gaps()).isEqualTo(5);
        assertThat(l.verified()).isEqualTo(5);

        assertThat(l.record(5)).isEqualTo(Outcome.DUPLICATE); // a late arrival can still be duplicated
        assertThat(l.verified()).isEqualTo(5);
        assertThat(l.watermark()).isEqualTo(10);
    }

    @Test
    void expireBeyondHighestSeenDeclaresNeverSeenSequencesGapsAsOneRange() {
        PartitionLedger l = new PartitionLedger();
        l.record(1);
        l.record(2);
        l.record(3);
        assertThat(l.expireUpTo(1_000_000)).isEqualTo(999_997);
        assertThat(l.gaps()).isEqualTo(999_997);
        assertThat(l.watermark()).isEqualTo(1_000_000);
        assertThat(l.highestSeen()).isEqualTo(3);
        assertThat(ranges(l.gapRanges(10))).containsExactly("4-1000000");
        assertThat(l.missingUpTo(1_000_000)).isZero();
        assertThat(l.retainedBytes()).isLessThan(SMALL);

        assertThat(l.record(1_000_001)).isEqualTo(Outcome.FIRST);
        assertThat(l.watermark()).isEqualTo(1_000_001);
        assertThat(l.record(500_000)).isEqualTo(Outcome.LATE);
        assertThat(l.gapRanges(10)).hasSize(2);
    }

    @Test
    void gapRangesHonoursTheLimit() {
        PartitionLedger l = new PartitionLedger();
        for (long s = 2; s <= 20; s += 2) {
            l.record(s);
        }
        assertThat(l.expireUpTo(20)).isEqualTo(10);
        assertThat(ranges(l.gapRanges(3))).containsExactly("1-1", "3-3", "5-5");
        assertThat(l.gapRanges(0)).isEmpty();
        assertThat(l.gapRanges(Integer.MAX_VALUE)).hasSize(10);
        assertThatThrownBy(() -> l.gapRanges(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void watermarkCompactionKeepsMemorySmallAfterAMillionInOrderRecords() {
        PartitionLedger l = new PartitionLedger();
        for (long s = 1; s <= 1_000_000; s++) {
            l.record(s);
        }
        assertThat(l.watermark()).isEqualTo(1_000_000);
        assertThat(l.verified()).isEqualTo(1_000_000);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
    }

    @Test
    void smallOutOfOrderWindowKeepsMemorySmallOverAMillionRecords() {
        PartitionLedger l = new PartitionLedger();
        Random r = new Random(7);
        long max = 0;
        for (long blk = 0; blk < 1_000_000; blk += 32) {
            long[] b = new long[32];
            for (int i = 0; i < 32; i++) {
                b[i] = blk + i + 1;
            }
            shuffle(b, r);
            for (long s : b) {
                assertThat(l.record(s)).isEqualTo(Outcome.FIRST);
            }
            max = Math.max(max, l.retainedBytes());
        }
        assertThat(l.watermark()).isEqualTo(1_000_000);
        assertThat(max).isLessThan(SMALL);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
    }

    @Test
    void outOfOrderBurstThenFillInReturnsMemory() {
        PartitionLedger l = new PartitionLedger();
        for (long s = 2; s <= 200_001; s++) {
            l.record(s);
        }
        assertThat(l.watermark()).isZero();
        long during = l.retainedBytes();
        assertThat(during).isGreaterThan(200_000 / 8); // one bit per pending sequence
        assertThat(during).isLessThan(2 * 200_000 / 8 + SMALL);

        assertThat(l.record(1)).isEqualTo(Outcome.FIRST);
        assertThat(l.watermark()).isEqualTo(200_001);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
    }

    @Test
    void outOfOrderBurstThenExpireReturnsMemory() {
        PartitionLedger l = new PartitionLedger();
        for (long s = 1000; s <= 300_000; s++) {
            l.record(s);
        }
        assertThat(l.retainedBytes()).isGreaterThan(300_000 / 8);
        assertThat(l.expireUpTo(999)).isEqualTo(999);
        assertThat(l.watermark()).isEqualTo(300_000);
        assertThat(ranges(l.gapRanges(10))).containsExactly("1-999");
        assertThat(l.retainedBytes()).isLessThan(SMALL);
    }

    @Test
    void farFutureSequenceDoesNotBlowMemory() {
        PartitionLedger l = new PartitionLedger();
        l.record(1);
        assertThat(l.record(1_000_000_000L)).isEqualTo(Outcome.FIRST);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
        assertThat(l.record(1_000_000_000L)).isEqualTo(Outcome.DUPLICATE);
        assertThat(l.record(Long.MAX_VALUE - 1)).isEqualTo(Outcome.FIRST);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
        assertThat(l.highestSeen()).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(l.missingUpTo(1_000_000_000L)).isEqualTo(1_000_000_000L - 2);

        assertThat(l.expireUpTo(999_999_999L)).isEqualTo(999_999_998L);
        assertThat(l.watermark()).isEqualTo(1_000_000_000L);
        assertThat(l.verified()).isEqualTo(3);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
    }

    @Test
    void trafficContinuingFarBeyondAMassLossIsKeptAsRunsNotBits() {
        PartitionLedger l = new PartitionLedger();
        l.record(1);
        long start = 50_000_000L; // far beyond the bitset cap above the watermark
        for (long s = start; s < start + 200_000; s++) {
            assertThat(l.record(s)).isEqualTo(Outcome.FIRST);
        }
        assertThat(l.record(start + 10)).isEqualTo(Outcome.DUPLICATE);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
        assertThat(l.missingUpTo(start + 199_999)).isEqualTo(start - 2);

        assertThat(l.expireUpTo(start - 1)).isEqualTo(start - 2);
        assertThat(l.watermark()).isEqualTo(start + 199_999);
        assertThat(l.record(start + 200_000)).isEqualTo(Outcome.FIRST);
        assertThat(l.watermark()).isEqualTo(start + 200_000);
        assertThat(l.retainedBytes()).isLessThan(SMALL);
    }

    @Test
    void invalidSequenceIsRejected() {
        PartitionLedger l = new PartitionLedger();
        assertThatThrownBy(() -> l.record(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> l.record(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> l.record(Long.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> l.record(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> l.expireUpTo(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(l.verified()).isZero();
        assertThat(l.highestSeen()).isZero();
    }

    // ------------------------------------------------------------------ property test

    @Test
    void randomInterleavingsMatchTheReferenceModel() {
        for (long seed = 1; seed <= 500; seed++) {
            runScenario(seed, new PartitionLedger(), "default");
        }
    }

    @Test
    void randomInterleavingsMatchTheReferenceModelWithATinyBitsetCapForcingTheFarOverflow() {
        for (long seed = 1; seed <= 500; seed++) {
            int cap = (seed & 1) == 0 ? 128 : 256;
            runScenario(seed, new PartitionLedger(cap), "cap=" + cap);
        }
    }

    /** Straightforward reference: sets of verified and gap sequences. */
    private static final class Model {
        final TreeSet<Long> verified = new TreeSet<>();
        final TreeSet<Long> gaps = new TreeSet<>();
        long watermark;
        long highest;

        Outcome record(long s) {
            highest = Math.max(highest, s);
            Outcome o;
            if (verified.contains(s)) {
                o = Outcome.DUPLICATE;
            } else if (gaps.remove(s)) {
                verified.add(s);
                o = Outcome.LATE;
            } else {
                verified.add(s);
                o = Outcome.FIRST;
            }
            advance();
            return o;
        }

        long expireUpTo(long upTo) {
            long n = 0;
            // 1..watermark is fully verified-or-gap by definition, so start above it
            for (long s = watermark + 1; s <= upTo; s++) {
                if (!verified.contains(s) && gaps.add(s)) {
                    n++;
                }
            }
            advance();
            return n;
        }

        private void advance() {
            while (verified.contains(watermark + 1) || gaps.contains(watermark + 1)) {
                watermark++;
            }
        }

        long missingUpTo(long hwm) {
            long n = 0;
            for (long s = 1; s <= hwm; s++) {
                if (!verified.contains(s) && !gaps.contains(s)) {
                    n++;
                }
            }
            return n;
        }

        List<String> gapRanges(int limit) {
            List<String> out = new ArrayList<>();
            long from = -1;
            long prev = -1;
            for (long g : gaps) {
                if (from >= 0 && g == prev + 1) {
                    prev = g;
                    continue;
                }
                if (from >= 0) {
                    out.add(from + "-" + prev);
                }
                from = g;
                prev = g;
            }
            if (from >= 0) {
                out.add(from + "-" + prev);
            }
            return out.subList(0, Math.min(limit, out.size()));
        }
    }

    private static void runScenario(long seed, PartitionLedger ledger, String config) {
        Random r = new Random(seed);
        int n = 1 + r.nextInt(2000);
        int window = switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> 1 + r.nextInt(4);
            case 2 -> 1 + r.nextInt(300);
            default -> n; // arbitrary order
        };
        double pOmit = new double[] {0, 0.01, 0.1, 0.4}[r.nextInt(4)];
        double pDup = new double[] {0, 0.02, 0.2}[r.nextInt(3)];
        double pExpire = new double[] {0, 0.003, 0.02, 0.1}[r.nextInt(4)];

        // order: 1..n, locally shuffled within `window`
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = i + 1;
        }
        if (window == n) {
            shuffle(order, r);
        } else if (window > 0) {
            for (int i = 0; i < n; i++) {
                int j = Math.min(n - 1, i + r.nextInt(window + 1));
                long t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        List<Long> stream = new ArrayList<>(n + n / 4);
        List<Long> delayed = new ArrayList<>();
        for (long s : order) {
            if (r.nextDouble() < pOmit) {
                if (r.nextBoolean()) {
                    delayed.add(s); // arrives after everything else: LATE if expired meanwhile
                }
                continue; // else lost for good
            }
            stream.add(s);
        }
        int firstPass = stream.size();
        for (int i = 0; i < firstPass; i++) {
            if (r.nextDouble() < pDup) {
                stream.add(r.nextInt(stream.size() + 1), stream.get(i));
            }
        }
        Collections.shuffle(delayed, r);
        for (int i = 0, k = delayed.size(); i < k; i++) {
            if (r.nextDouble() < pDup) {
                delayed.add(delayed.get(i));
            }
        }

        Model m = new Model();
        Ctx c = new Ctx(seed, config, n, window, pOmit, pDup, pExpire);
        for (long s : stream) {
            c.step++;
            if (r.nextDouble() < pExpire) {
                expire(ledger, m, c, r);
            }
            c.op("record", s);
            eq(c, "result", m.record(s), ledger.record(s));
            checkCheap(ledger, m, c);
            if (c.step % 128 == 0) {
                checkFull(ledger, m, c, r);
            }
        }
        checkFull(ledger, m, c, r);
        if (r.nextBoolean()) {
            c.step++;
            long upTo = m.highest + (r.nextBoolean() ? 0 : r.nextInt(100));
            c.op("expireUpTo", upTo);
        eq(c, "result", m.expireUpTo(upTo), ledger.expireUpTo(upTo));
            checkFull(ledger, m, c, r);
        }
        for (long s : delayed) {
            c.step++;
            if (r.nextDouble() < pExpire) {
                expire(ledger, m, c, r);
            }
            c.op("record", s);
            eq(c, "result", m.record(s), ledger.record(s));
            checkCheap(ledger, m, c);
        }
        checkFull(ledger, m, c, r);
        c.step++;
        long last = m.highest + r.nextInt(50);
        c.op("expireUpTo", last);
        eq(c, "result", m.expireUpTo(last), ledger.expireUpTo(last));
        checkFull(ledger, m, c, r);
        if (ledger.missingUpTo(last) != 0 || ledger.watermark() < last) {
            fail(c + ": after expireUpTo(" + last + ") nothing may remain in flight");
        }
    }

    private static void expire(PartitionLedger ledger, Model m, Ctx c, Random r) {
        long upTo = switch (r.nextInt(4)) {
            case 0 -> m.highest - r.nextInt(64);
            case 1 -> m.highest + r.nextInt(50);
            case 2 -> r.nextInt((int) m.highest + 1);
            default -> m.watermark + r.nextInt(8);
        };
        c.op("expireUpTo", upTo);
        eq(c, "result", m.expireUpTo(upTo), ledger.expireUpTo(upTo));
        checkCheap(ledger, m, c);
    }

    private static void checkCheap(PartitionLedger l, Model m, Ctx c) {
        eq(c, "watermark()", m.watermark, l.watermark());
        eq(c, "verified()", m.verified.size(), l.verified());
        eq(c, "gaps()", m.gaps.size(), l.gaps());
        eq(c, "highestSeen()", m.highest, l.highestSeen());
    }

    private static void checkFull(PartitionLedger l, Model m, Ctx c, Random r) {
        checkCheap(l, m, c);
        eq(c, "missingUpTo(highest)", m.missingUpTo(m.highest), l.missingUpTo(m.highest));
        long h = r.nextInt((int) m.highest + 100);
        eq(c, "missingUpTo(" + h + ")", m.missingUpTo(h), l.missingUpTo(h));
        List<String> exp = m.gapRanges(Integer.MAX_VALUE);
        List<String> act = ranges(l.gapRanges(Integer.MAX_VALUE));
        if (!exp.equals(act)) {
            fail(c + ": gapRanges expected " + exp + " but was " + act);
        }
        int limit = r.nextInt(4);
        if (!m.gapRanges(limit).equals(ranges(l.gapRanges(limit)))) {
            fail(c + ": gapRanges(" + limit + ") expected " + m.gapRanges(limit) + " but was "
                    + ranges(l.gapRanges(limit)));
        }
    }

    private static final class Ctx {
        final String description;
        int step;
        String opName = "none";
        long opArg;

        void op(String name, long arg) {
            opName = name;
            opArg = arg;
        }

        Ctx(long seed, String config, int n, int window, double pOmit, double pDup, double pExpire) {
            this.description = "seed=" + seed + " " + config + " n=" + n + " window=" + window
                    + " pOmit=" + pOmit + " pDup=" + pDup + " pExpire=" + pExpire;
        }

        @Override
        public String toString() {
            return description + " step=" + step + " after " + opName + "(" + opArg + ")";
        }
    }

    private static void eq(Ctx c, String what, Object expected, Object actual) {
        if (!expected.equals(actual)) {
            fail(c + ": " + what + " expected " + expected + " but was " + actual);
        }
    }

    private static void eq(Ctx c, String what, long expected, long actual) {
        if (expected != actual) {
            fail(c + ": " + what + " expected " + expected + " but was " + actual);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static List<String> ranges(List<long[]> rs) {
        List<String> out = new ArrayList<>(rs.size());
        for (long[] g : rs) {
            out.add(g[0] + "-" + g[1]);
        }
        return out;
    }

    private static void shuffle(long[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}

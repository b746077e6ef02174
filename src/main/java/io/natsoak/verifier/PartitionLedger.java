package io.natsoak.verifier;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Record of one partition: detects loss (gaps) and duplicates among receipts whose producer
 * assigned the per-partition sequences 1, 2, 3, ...
 *
 * <h2>Thread safety</h2>
 * <b>Not thread-safe.</b> A ledger has exactly one owner thread, which makes every call
 * (including the read-only accessors). Hand ledgers to other threads only with a proper
 * happens-before edge (e.g. a queue); do not share them.
 *
 * <h2>Model</h2>
 * Every sequence {@code s >= 1} is in exactly one state: <i>verified</i> (recorded at least once),
 * a <i>gap</i> (declared lost by {@link #expireUpTo}) or <i>in flight</i> (neither). A gap that
 * is recorded later becomes verified ({@link Outcome#LATE}). The <i>watermark</i> {@code W} is
 * the largest value such that every sequence in {@code 1..W} is verified or a gap; consequently
 * all gaps are {@code <= W}, and only verified sequences above {@code W} need remembering.
 *
 * <h2>Layout (memory proportional to the out-of-order window, not to the message count)</h2>
 * <ul>
 *   <li><b>Watermark</b>: a single {@code long}. In-order receipts ({@code seq == W + 1} with
 *       nothing pending above) only bump it: no allocation, no array access, no boxing.</li>
 *   <li><b>Window bitset</b> for verified sequences above {@code W} ({@link SequenceBitset}, the
 *       superclass, so its fields are this object's): a {@code long[]} window that moves up with
 *       the watermark, shrinks after a burst and is allocated lazily: a purely in-order partition
 *       never allocates one.</li>
 *   <li><b>Gaps</b>: sorted, merged, inclusive ranges in two primitive {@code long[]}s
 *       ({@link RunList}). Expiry only ever appends above the last range (gaps are below the
 *       watermark and expiry moves it upward), so a mass loss of a million sequences is one range. A {@code LATE} arrival
 *       trims a range in place, or splits it when it lands strictly inside.</li>
 *   <li><b>Far overflow</b>: see below.</li>
 * </ul>
 *
 * <h2>Far-future sequences</h2>
 * The bitset window is capped at {@value #DEFAULT_MAX_WINDOW_BITS} bits (2 MiB) above
 * {@code base}. A sequence further ahead than that (e.g. {@code W + 10^9} after a producer bug
 * or an enormous loss) is <em>not</em> rejected and does not allocate a huge bitset: it goes
 * into a small sparse overflow of sorted, merged inclusive runs of verified sequences (again
 * primitive arrays). Chosen over throwing {@link IllegalStateException} because a soak tester
 * must keep verifying through exactly this kind of anomaly (a loss of more than 16M messages
 * followed by normal traffic is legitimate data: the traffic lands in the overflow as a single
 * growing run until the loss is expired and the watermark jumps over it). Memory for the
 * overflow is proportional to the number of discontinuities beyond the cap, not to the number
 * of sequences. Lookups consult the overflow only when it is non-empty, so the common path
 * pays a single field test. Overflow runs are never migrated into the bitset; as the window
 * moves, newer sequences may land in the bitset while older far runs wait in the overflow
 * until the watermark passes them. The two structures always hold disjoint sequences.
 *
 * <h2>Complexity</h2>
 * {@link #record} is O(1) amortised (plus O(log gapRanges) for a sequence at or below the
 * watermark when gaps exist, and O(log farRuns) while the overflow is non-empty).
 * {@link #expireUpTo} is O(window / 64 + new gap ranges). {@link #missingUpTo} is O(1) for
 * {@code hwm >= highestSeen()}, otherwise O(window / 64).
 *
 * <p>Sequences must lie in {@code 1 .. Long.MAX_VALUE - 1} (the top value is reserved so that
 * {@code W + 1} never overflows).
 */
public final class PartitionLedger extends SequenceBitset {

    /** Result of {@link #record(long)}. */
    public enum Outcome {
        /** First time this sequence was seen, and it was not a declared gap. */
        FIRST,
        /** The sequence had already been verified. */
        DUPLICATE,
        /** A sequence earlier declared a gap arrived after all; it stops being a gap and counts as verified. */
        LATE
    }

    /** Maximum bitset window above {@code base}, in bits (a power of two). 2^24 bits = 2 MiB. */
    static final int DEFAULT_MAX_WINDOW_BITS = 1 << 24;
    /** Rough shallow size of this object: header 12 + 6 longs + 2 ints + 3 compressed references, aligned. */
    private static final long SHALLOW_BYTES = 80;

    private long watermark;
    private long verified;
    private long highestSeen;

    /** Declared gaps (all {@code <= watermark}). */
    private final RunList gaps = new RunList();
    private long gapCount;

    /** Verified sequences beyond the bitset cap (all {@code > watermark}); disjoint from the bitset. */
    private final RunList far = new RunList();

    public PartitionLedger() {
        this(DEFAULT_MAX_WINDOW_BITS);
    }

    /** For tests: a smaller bitset cap to exercise the far overflow. Must be a power of two {@code >= 128}. */
    PartitionLedger(int maxWindowBits) {
        super(maxWindowBits);
    }

    /**
     * Records a receipt for {@code seq}.
     *
     * @throws IllegalArgumentException if {@code seq < 1} or {@code seq == Long.MAX_VALUE}
     */
    public Outcome record(long seq) {
        if (seq < 1 || seq == Long.MAX_VALUE) {
            throw new IllegalArgumentException("sequence must be in 1..Long.MAX_VALUE-1: " + seq);
        }
        if (seq > highestSeen) {
            highestSeen = seq;
        }
        final long w = watermark;
        if (seq == w + 1) {
            verified++;
            watermark = seq;
            if (hasBits() || far.n != 0) {
                advance();
            }
            return Outcome.FIRST;
        }
        if (seq <= w) {
            if (gaps.n != 0) {
                int i = gaps.indexContaining(seq);
                if (i >= 0) {
                    gaps.punch(i, seq);
                    gapCount--;
                    verified++;
                    return Outcome.LATE;
                }
            }
            return Outcome.DUPLICATE;
        }
        return recordAbove(seq);
    }

    /** {@code seq > watermark + 1}. */
    private Outcome recordAbove(long seq) {
        if (far.n != 0 && seq >= far.from[0] && far.indexContaining(seq) >= 0) {
            return Outcome.DUPLICATE;
        }
        long idx = slotFor(seq, watermark);
        if (idx < 0) {
            far.add(seq); // beyond the bitset's cap
        } else if (!setBit(idx)) {
            return Outcome.DUPLICATE;
        }
        verified++;
        return Outcome.FIRST;
    }

    /** Largest W such that every sequence 1..W is either verified or declared a gap. */
    public long watermark() {
        return watermark;
    }

    /** Distinct sequences verified (FIRST + LATE outcomes). */
    public long verified() {
        return verified;
    }

    /** Highest sequence recorded (0 if none). Expiry does not change it. */
    public long highestSeen() {
        return highestSeen;
    }

    /** True when a receipt for {@code seq} was recorded (a read: the ledger is not changed). */
    public boolean isVerified(long seq) {
        if (seq < 1 || seq == Long.MAX_VALUE) {
            return false;
        }
        if (seq <= watermark) {
            return gaps.n == 0 || gaps.indexContaining(seq) < 0;
        }
        return nextVerified(seq) == seq;
    }

    /** Sequences currently declared gaps. */
    public long gaps() {
        return gapCount;
    }

    /**
     * Declares every sequence in {@code 1..upTo} that is neither verified nor already a gap a gap
     * and advances the watermark to at least {@code upTo}. {@code upTo} may exceed
     * {@link #highestSeen()}: never-seen sequences all become gaps.
     *
     * @return how many new gaps were declared (0 if {@code upTo <= watermark()})
     * @throws IllegalArgumentException if {@code upTo == Long.MAX_VALUE}
     */
    public long expireUpTo(long upTo) {
        if (upTo == Long.MAX_VALUE) {
            throw new IllegalArgumentException("upTo must be < Long.MAX_VALUE");
        }
        if (upTo <= watermark) {
            return 0;
        }
        long newGaps = 0;
        long s = watermark + 1;
        while (s <= upTo) {
            long v = nextVerified(s);
            if (v > upTo) {
                gaps.append(s, upTo);
                newGaps += upTo - s + 1;
                break;
            }
            if (v > s) {
                gaps.append(s, v - 1);
                newGaps += v - s;
            }
            s = extend(v) + 1;
        }
        gapCount += newGaps;
        watermark = upTo;
        dropFar();
        advance();
        return newGaps;
    }

    /** Sequences in {@code 1..hwm} that are neither verified nor gaps ("in flight"). */
    public long missingUpTo(long hwm) {
        final long w = watermark;
        if (hwm <= w) {
            return 0;
        }
        if (hwm >= highestSeen) {
            // every verified sequence is <= highestSeen <= hwm, every gap is <= w < hwm
            return hwm - verified - gapCount;
        }
        return hwm - w - countBits(w + 1, hwm) - far.countOverlap(w + 1, hwm);
    }

    /**
     * Up to {@code limit} inclusive ranges {@code {from, to}} of gap sequences, ascending and
     * maximally merged. Fresh arrays; the caller may keep them.
     */
    public List<long[]> gapRanges(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0: " + limit);
        }
        int n = Math.min(limit, gaps.n);
        List<long[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new long[] {gaps.from[i], gaps.to[i]});
        }
        return out;
    }

    /** Estimate of the heap held by this ledger, in bytes (object headers and arrays; 64-bit JVM, compressed oops). */
    public long retainedBytes() {
        return SHALLOW_BYTES + bitsetBytes() + gaps.bytes() + far.bytes();
    }

    // ------------------------------------------------------------------ checkpoint

    /**
     * Everything a ledger holds, as plain arrays, for the verifier's checkpoint: {@code words} are
     * the used bitset words (bit 0 of word 0 stands for {@code base}), gaps and far runs are
     * inclusive ranges in ascending order. Arrays are owned by the state (copies).
     */
    record State(int maxWindowBits, long watermark, long verified, long highestSeen, long base, long[] words,
                 long[] gapFrom, long[] gapTo, long gapCount, long[] farFrom, long[] farTo) {
    }

    /** A copy of this ledger's state; {@link #restore} rebuilds an equal ledger from it. */
    State state() {
        return new State(maxWindowBits(), watermark, verified, highestSeen, bitsetBase(), usedWordsCopy(),
                Arrays.copyOf(gaps.from, gaps.n), Arrays.copyOf(gaps.to, gaps.n), gapCount,
                Arrays.copyOf(far.from, far.n), Arrays.copyOf(far.to, far.n));
    }

    /**
     * Rebuilds a ledger from {@link #state()}. Checks every invariant the ledger relies on, and that
     * the counts add up, so a damaged or foreign state is refused instead of silently miscounting.
     *
     * @throws IllegalArgumentException naming the first inconsistency
     */
    static PartitionLedger restore(State s) {
        PartitionLedger l = new PartitionLedger(s.maxWindowBits());
        check(s.watermark() >= 0 && s.watermark() < Long.MAX_VALUE - 1, "watermark out of range: " + s.watermark());
        check(s.highestSeen() >= 0 && s.highestSeen() < Long.MAX_VALUE, "highest sequence out of range: " + s.highestSeen());
        l.restoreBits(s.words(), s.base(), s.watermark());
        l.watermark = s.watermark();
        l.verified = s.verified();
        l.highestSeen = s.highestSeen();
        long gapTotal = restoreRuns(l.gaps, s.gapFrom(), s.gapTo(), "gap");
        check(l.gaps.n == 0 || l.gaps.to[l.gaps.n - 1] <= s.watermark(), "a gap lies above the watermark " + s.watermark());
        check(gapTotal == s.gapCount(), "gap ranges cover " + gapTotal + " sequences, the count says " + s.gapCount());
        l.gapCount = s.gapCount();
        long farTotal = restoreRuns(l.far, s.farFrom(), s.farTo(), "far");
        check(l.far.n == 0 || l.far.from[0] > s.watermark(), "a far run lies at or below the watermark " + s.watermark());
        // Every sequence up to the watermark is verified or a gap; above it, verified means a set bit or a far run.
        long above = !l.hasBits() ? 0 : l.countBits(s.watermark() + 1, Long.MAX_VALUE - 1);
        long expected = s.watermark() - s.gapCount() + above + farTotal;
        check(s.verified() == expected, "verified count " + s.verified() + " does not match its sequences (" + expected + ")");
        return l;
    }

    /** Fills {@code runs} after checking they are ascending, disjoint and not adjacent; returns how many sequences they cover. */
    private static long restoreRuns(RunList runs, long[] from, long[] to, String what) {
        check(from.length == to.length, what + " runs: " + from.length + " starts but " + to.length + " ends");
        long total = 0;
        for (int i = 0; i < from.length; i++) {
            check(from[i] >= 1 && from[i] <= to[i] && to[i] < Long.MAX_VALUE, what + " run " + from[i] + ".." + to[i] + " is not valid");
            check(i == 0 || from[i] > to[i - 1] + 1, what + " runs are not ascending and apart at " + from[i]);
            total += to[i] - from[i] + 1;
            check(total > 0, what + " runs cover more sequences than a long holds");
        }
        runs.from = from.length == 0 ? LongArrays.EMPTY : Arrays.copyOf(from, from.length);
        runs.to = to.length == 0 ? LongArrays.EMPTY : Arrays.copyOf(to, to.length);
        runs.n = from.length;
        return total;
    }

    // ------------------------------------------------------------------ internals

    /** After the watermark moved: absorb verified sequences right above it and compact. */
    private void advance() {
        watermark = extend(watermark);
        dropFar();
        compact(watermark);
    }

    /** Largest {@code y >= x} such that every sequence in {@code x+1..y} is verified (bitset or far). */
    private long extend(long x) {
        for (;;) {
            long y = bitsExtend(x);
            if (far.n != 0 && far.from[0] <= y + 1) {
                int i = far.indexContaining(y + 1);
                if (i >= 0) {
                    y = far.to[i];
                }
            }
            if (y == x) {
                return x;
            }
            x = y;
        }
    }

    /** Smallest verified sequence {@code >= s} (s above the watermark), or Long.MAX_VALUE. */
    private long nextVerified(long s) {
        long b = nextSetBit(s);
        return far.n == 0 ? b : Math.min(b, far.nextAtOrAfter(s));
    }

    /** Removes far runs at or below the watermark (trimming a straddling one). */
    private void dropFar() {
        if (far.n == 0 || far.from[0] > watermark) {
            return;
        }
        int i = far.floor(watermark);
        if (far.to[i] > watermark) {
            far.from[i] = watermark + 1;
            far.removeFirst(i);
        } else {
            far.removeFirst(i + 1);
        }
    }
}

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
 *   <li><b>Window bitset</b> for verified sequences above {@code W}: a {@code long[]} whose bit 0
 *       stands for {@code base} ({@code base <= W + 1}). Bits for sequences {@code <= W} are
 *       meaningless and ignored. When the watermark moves past whole low words they become dead;
 *       the live words are shifted down (and {@code base} advanced) once the dead prefix is at
 *       least as large as the live part, so each word is moved O(1) times amortised. The array
 *       grows by doubling and, after compaction, is halved while at most a quarter of it is in
 *       use, so a transient out-of-order burst releases its memory once it is filled in (or
 *       expired). The initial array is allocated lazily: a purely in-order partition never
 *       allocates one.</li>
 *   <li><b>Gaps</b>: sorted, merged, inclusive ranges in two primitive {@code long[]}s. Expiry only
 *       ever appends above the last range (gaps are below the watermark and expiry moves it
 *       upward), so a mass loss of a million sequences is one range. A {@code LATE} arrival
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
public final class PartitionLedger {

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
    private static final int MIN_WORDS = 2;
    private static final long[] EMPTY = new long[0];
    /** Rough shallow size of this object: header 12 + 6 longs + 2 ints + 3 compressed references, aligned. */
    private static final long SHALLOW_BYTES = 80;

    private final long maxWindowBits;
    private final int maxWords;

    private long watermark;
    private long verified;
    private long highestSeen;

    /** Bit i of the concatenated words stands for sequence {@code base + i}. */
    private long[] words = EMPTY;
    private long base = 1;
    /** Words at index {@code >= usedWords} are all zero; {@code usedWords == 0} iff no bit above the watermark is set. */
    private int usedWords;

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
        if (maxWindowBits < 64 * MIN_WORDS || Integer.bitCount(maxWindowBits) != 1) {
            throw new IllegalArgumentException("maxWindowBits must be a power of two >= 128: " + maxWindowBits);
        }
        this.maxWindowBits = maxWindowBits;
        this.maxWords = maxWindowBits >>> 6;
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
            if (usedWords != 0 || far.n != 0) {
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
        if (usedWords == 0) {
            base = watermark + 1;
        }
        long idx = seq - base;
        if (idx >= ((long) words.length << 6)) {
            // make room: first drop the dead prefix entirely, then grow or overflow
            int dead = (int) Math.min((watermark + 1 - base) >>> 6, usedWords);
            if (dead > 0) {
                shift(dead);
                idx = seq - base;
            }
            if (idx >= ((long) words.length << 6)) {
                if (idx >= maxWindowBits) {
                    far.add(seq);
                    verified++;
                    return Outcome.FIRST;
                }
                grow((int) (idx >>> 6) + 1);
            }
        }
        int wi = (int) (idx >>> 6);
        long mask = 1L << idx; // shift distance is taken mod 64
        long old = words[wi];
        if ((old & mask) != 0) {
            return Outcome.DUPLICATE;
        }
        words[wi] = old | mask;
        if (wi >= usedWords) {
            usedWords = wi + 1;
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
        return SHALLOW_BYTES + arrayBytes(words) + gaps.bytes() + far.bytes();
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
        return new State((int) maxWindowBits, watermark, verified, highestSeen, base, Arrays.copyOf(words, usedWords),
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
        check(s.words().length <= l.maxWords, "bitset of " + s.words().length + " words exceeds the cap of " + l.maxWords);
        if (s.words().length > 0) {
            check(s.base() >= 1 && s.base() <= s.watermark() + 1, "bitset base " + s.base() + " not in 1.." + (s.watermark() + 1));
            check(s.base() <= Long.MAX_VALUE - ((long) s.words().length << 6), "bitset base " + s.base() + " overflows");
        }
        l.watermark = s.watermark();
        l.verified = s.verified();
        l.highestSeen = s.highestSeen();
        l.base = s.words().length > 0 ? s.base() : s.watermark() + 1;
        if (s.words().length > 0) {
            int len = MIN_WORDS;
            while (len < s.words().length) {
                len <<= 1;
            }
            l.words = Arrays.copyOf(s.words(), Math.min(len, l.maxWords));
            l.usedWords = s.words().length;
        }
        long gapTotal = restoreRuns(l.gaps, s.gapFrom(), s.gapTo(), "gap");
        check(l.gaps.n == 0 || l.gaps.to[l.gaps.n - 1] <= s.watermark(), "a gap lies above the watermark " + s.watermark());
        check(gapTotal == s.gapCount(), "gap ranges cover " + gapTotal + " sequences, the count says " + s.gapCount());
        l.gapCount = s.gapCount();
        long farTotal = restoreRuns(l.far, s.farFrom(), s.farTo(), "far");
        check(l.far.n == 0 || l.far.from[0] > s.watermark(), "a far run lies at or below the watermark " + s.watermark());
        // Every sequence up to the watermark is verified or a gap; above it, verified means a set bit or a far run.
        long above = l.usedWords == 0 ? 0 : l.countBits(s.watermark() + 1, Long.MAX_VALUE - 1);
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
        runs.from = from.length == 0 ? EMPTY : Arrays.copyOf(from, from.length);
        runs.to = to.length == 0 ? EMPTY : Arrays.copyOf(to, to.length);
        runs.n = from.length;
        return total;
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(problem);
        }
    }

    // ------------------------------------------------------------------ internals

    /** After the watermark moved: absorb verified sequences right above it and compact. */
    private void advance() {
        watermark = extend(watermark);
        dropFar();
        compact();
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

    /** Largest {@code y >= x} such that bits for {@code x+1..y} are all set. Requires {@code x + 1 >= base}. */
    private long bitsExtend(long x) {
        final int used = usedWords;
        if (used == 0) {
            return x;
        }
        long idx = x + 1 - base;
        if (idx >= ((long) used << 6)) {
            return x;
        }
        int wi = (int) (idx >>> 6);
        long zeros = ~words[wi] & (-1L << idx);
        while (zeros == 0) {
            if (++wi == used) {
                return base + ((long) wi << 6) - 1;
            }
            zeros = ~words[wi];
        }
        return base + ((long) wi << 6) + Long.numberOfTrailingZeros(zeros) - 1;
    }

    /** Smallest verified sequence {@code >= s} (s above the watermark), or Long.MAX_VALUE. */
    private long nextVerified(long s) {
        long b = nextSetBit(s);
        return far.n == 0 ? b : Math.min(b, far.nextAtOrAfter(s));
    }

    private long nextSetBit(long s) {
        final int used = usedWords;
        if (used == 0) {
            return Long.MAX_VALUE;
        }
        long idx = s - base;
        if (idx >= ((long) used << 6)) {
            return Long.MAX_VALUE;
        }
        int wi = (int) (idx >>> 6);
        long word = words[wi] & (-1L << idx);
        while (word == 0) {
            if (++wi == used) {
                return Long.MAX_VALUE;
            }
            word = words[wi];
        }
        return base + ((long) wi << 6) + Long.numberOfTrailingZeros(word);
    }

    /** Set bits for sequences in {@code lo..hi}; requires {@code lo >= base}. */
    private long countBits(long lo, long hi) {
        if (usedWords == 0) {
            return 0;
        }
        long a = lo - base;
        long b = Math.min(hi - base, ((long) usedWords << 6) - 1);
        if (a > b) {
            return 0;
        }
        int wa = (int) (a >>> 6);
        int wb = (int) (b >>> 6);
        long first = -1L << a;
        long last = -1L >>> (63 - (b & 63));
        if (wa == wb) {
            return Long.bitCount(words[wa] & first & last);
        }
        long c = Long.bitCount(words[wa] & first) + Long.bitCount(words[wb] & last);
        for (int i = wa + 1; i < wb; i++) {
            c += Long.bitCount(words[i]);
        }
        return c;
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

    /** Drops/clears dead words after the watermark moved; shrinks the array when mostly empty. */
    private void compact() {
        final int used = usedWords;
        if (used == 0) {
            return;
        }
        long idx = watermark + 1 - base;
        long fw = idx >>> 6;
        if (fw >= used) {
            clearAll();
            return;
        }
        int f = (int) fw;
        long live = words[f] & (-1L << idx);
        words[f] = live;
        if (f == used - 1 && live == 0) {
            clearAll();
            return;
        }
        if (f > 0 && f >= used - f) {
            shift(f);
            maybeShrink();
        }
    }

    private void clearAll() {
        Arrays.fill(words, 0, usedWords, 0L);
        usedWords = 0;
        base = watermark + 1;
        maybeShrink();
    }

    /** Moves words[f..used) to words[0..used-f) and advances base accordingly. */
    private void shift(int f) {
        int live = usedWords - f;
        System.arraycopy(words, f, words, 0, live);
        Arrays.fill(words, live, usedWords, 0L);
        usedWords = live;
        base += (long) f << 6;
    }

    private void maybeShrink() {
        int len = words.length;
        if (len <= MIN_WORDS || usedWords > (len >>> 2)) {
            return;
        }
        while (len > MIN_WORDS && usedWords <= (len >>> 2)) {
            len >>>= 1;
        }
        words = Arrays.copyOf(words, len);
    }

    private void grow(int needed) {
        int len = Math.max(MIN_WORDS, words.length);
        while (len < needed) {
            len <<= 1;
        }
        words = Arrays.copyOf(words, Math.min(len, maxWords));
    }

    private static long arrayBytes(long[] a) {
        return a.length == 0 ? 0 : 16 + 8L * a.length; // EMPTY is shared
    }

    /** Sorted, disjoint, non-adjacent inclusive ranges in primitive arrays. */
    private static final class RunList {
        long[] from = EMPTY;
        long[] to = EMPTY;
        int n;

        /** Last index with {@code from[i] <= s}, or -1. */
        int floor(long s) {
            int lo = 0;
            int hi = n - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (from[mid] <= s) {
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return hi;
        }

        int indexContaining(long s) {
            int i = floor(s);
            return i >= 0 && to[i] >= s ? i : -1;
        }

        /** Smallest member {@code >= s}, or Long.MAX_VALUE. */
        long nextAtOrAfter(long s) {
            int i = floor(s);
            if (i >= 0 && to[i] >= s) {
                return s;
            }
            return i + 1 < n ? from[i + 1] : Long.MAX_VALUE;
        }

        long countOverlap(long lo, long hi) {
            long c = 0;
            for (int i = Math.max(0, floor(lo)); i < n && from[i] <= hi; i++) {
                long a = Math.max(lo, from[i]);
                long b = Math.min(hi, to[i]);
                if (a <= b) {
                    c += b - a + 1;
                }
            }
            return c;
        }

        /** Appends {@code f..t}, which lies above every existing range; merges if adjacent. */
        void append(long f, long t) {
            if (n > 0 && to[n - 1] + 1 == f) {
                to[n - 1] = t;
            } else {
                insert(n, f, t);
            }
        }

        /** Adds a single value not yet contained, merging with neighbours. */
        void add(long s) {
            int i = floor(s);
            boolean joinPrev = i >= 0 && to[i] + 1 == s;
            boolean joinNext = i + 1 < n && from[i + 1] - 1 == s;
            if (joinPrev && joinNext) {
                to[i] = to[i + 1];
                remove(i + 1);
            } else if (joinPrev) {
                to[i] = s;
            } else if (joinNext) {
                from[i + 1] = s;
            } else {
                insert(i + 1, s, s);
            }
        }

        /** Removes the single value {@code s} from range {@code i} (which contains it), splitting if needed. */
        void punch(int i, long s) {
            long f = from[i];
            long t = to[i];
            if (f == t) {
                remove(i);
            } else if (s == f) {
                from[i] = s + 1;
            } else if (s == t) {
                to[i] = s - 1;
            } else {
                to[i] = s - 1;
                insert(i + 1, s + 1, t);
            }
        }

        void insert(int i, long f, long t) {
            if (n == from.length) {
                int cap = Math.max(4, n << 1);
                from = Arrays.copyOf(from, cap);
                to = Arrays.copyOf(to, cap);
            }
            System.arraycopy(from, i, from, i + 1, n - i);
            System.arraycopy(to, i, to, i + 1, n - i);
            from[i] = f;
            to[i] = t;
            n++;
        }

        void remove(int i) {
            System.arraycopy(from, i + 1, from, i, n - i - 1);
            System.arraycopy(to, i + 1, to, i, n - i - 1);
            n--;
            shrink();
        }

        void removeFirst(int k) {
            if (k <= 0) {
                return;
            }
            System.arraycopy(from, k, from, 0, n - k);
            System.arraycopy(to, k, to, 0, n - k);
            n -= k;
            shrink();
        }

        private void shrink() {
            if (n == 0) {
                from = EMPTY;
                to = EMPTY;
            } else if (from.length > 16 && n <= from.length >>> 2) {
                from = Arrays.copyOf(from, from.length >>> 1);
                to = Arrays.copyOf(to, to.length >>> 1);
            }
        }

        long bytes() {
            return 24 + arrayBytes(from) + arrayBytes(to);
        }
    }
}

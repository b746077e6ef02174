package io.natsoak.verifier;

import java.util.Arrays;

/**
 * The verified sequences above a {@link PartitionLedger}'s watermark {@code W}, as a bitset window:
 * a {@code long[]} whose bit 0 stands for {@code base} ({@code base <= W + 1}). Bits for sequences
 * {@code <= W} are meaningless and ignored. When the watermark moves past whole low words they
 * become dead; the live words are shifted down (and {@code base} advanced) once the dead prefix is
 * at least as large as the live part, so each word is moved O(1) times amortised. The array grows
 * by doubling up to a cap of {@code maxWindowBits} bits and, after compaction, is halved while at
 * most a quarter of it is in use, so a transient out-of-order burst releases its memory once it is
 * filled in (or expired). The initial array is allocated lazily: a purely in-order partition never
 * allocates one.
 * <p>
 * The ledger extends this class instead of holding one, so that these fields live in the ledger
 * object itself: the per-receipt path ({@link PartitionLedger#record}) tests and sets bits without
 * following one more reference. The watermark belongs to the ledger and is passed in.
 * Not thread-safe, like the ledger.
 */
abstract class SequenceBitset {

    private static final int MIN_WORDS = 2;

    private final long maxWindowBits;
    private final int maxWords;

    /** Bit i of the concatenated words stands for sequence {@code base + i}. */
    private long[] words = LongArrays.EMPTY;
    private long base = 1;
    /** Words at index {@code >= usedWords} are all zero; {@code usedWords == 0} iff no bit above the watermark is set. */
    private int usedWords;

    /** @param maxWindowBits the cap of the window above {@code base}: a power of two {@code >= 128} */
    SequenceBitset(int maxWindowBits) {
        if (maxWindowBits < 64 * MIN_WORDS || Integer.bitCount(maxWindowBits) != 1) {
            throw new IllegalArgumentException("maxWindowBits must be a power of two >= 128: " + maxWindowBits);
        }
        this.maxWindowBits = maxWindowBits;
        this.maxWords = maxWindowBits >>> 6;
    }

    /** True when some sequence above the watermark is set. */
    final boolean hasBits() {
        return usedWords != 0;
    }

    /**
     * The bit index of {@code seq} (above {@code watermark + 1}), after making room for it: drops the
     * dead prefix, then grows the array. -1 when {@code seq} lies beyond the cap; nothing changes then
     * but the dead prefix.
     */
    final long slotFor(long seq, long watermark) {
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
                    return -1;
                }
                grow((int) (idx >>> 6) + 1);
            }
        }
        return idx;
    }

    /** Sets bit {@code idx} (from {@link #slotFor}); false if it was already set. */
    final boolean setBit(long idx) {
        int wi = (int) (idx >>> 6);
        long mask = 1L << idx; // shift distance is taken mod 64
        long old = words[wi];
        if ((old & mask) != 0) {
            return false;
        }
        words[wi] = old | mask;
        if (wi >= usedWords) {
            usedWords = wi + 1;
        }
        return true;
    }

    /** Largest {@code y >= x} such that bits for {@code x+1..y} are all set. Requires {@code x + 1 >= base}. */
    final long bitsExtend(long x) {
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

    /** Smallest set sequence {@code >= s} (s above the watermark), or Long.MAX_VALUE. */
    final long nextSetBit(long s) {
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
    final long countBits(long lo, long hi) {
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

    /** After the watermark moved to {@code watermark}: drops/clears dead words; shrinks the array when mostly empty. */
    final void compact(long watermark) {
        final int used = usedWords;
        if (used == 0) {
            return;
        }
        long idx = watermark + 1 - base;
        long fw = idx >>> 6;
        if (fw >= used) {
            clearAll(watermark);
            return;
        }
        int f = (int) fw;
        long live = words[f] & (-1L << idx);
        words[f] = live;
        if (f == used - 1 && live == 0) {
            clearAll(watermark);
            return;
        }
        if (f > 0 && f >= used - f) {
            shift(f);
            maybeShrink();
        }
    }

    /** Estimate of the heap held by the bitset array, in bytes. */
    final long bitsetBytes() {
        return LongArrays.bytes(words);
    }

    // ------------------------------------------------------------------ checkpoint

    final int maxWindowBits() {
        return (int) maxWindowBits;
    }

    final long bitsetBase() {
        return base;
    }

    /** A copy of the used words (bit 0 of word 0 stands for {@link #bitsetBase()}). */
    final long[] usedWordsCopy() {
        return Arrays.copyOf(words, usedWords);
    }

    /**
     * Restores a fresh bitset from {@link #usedWordsCopy()} and {@link #bitsetBase()}, below a
     * watermark already restored.
     *
     * @throws IllegalArgumentException if the words exceed the cap or the base does not fit the watermark
     */
    final void restoreBits(long[] used, long savedBase, long watermark) {
        check(used.length <= maxWords, "bitset of " + used.length + " words exceeds the cap of " + maxWords);
        if (used.length > 0) {
            check(savedBase >= 1 && savedBase <= watermark + 1, "bitset base " + savedBase + " not in 1.." + (watermark + 1));
            check(savedBase <= Long.MAX_VALUE - ((long) used.length << 6), "bitset base " + savedBase + " overflows");
        }
        base = used.length > 0 ? savedBase : watermark + 1;
        if (used.length > 0) {
            int len = MIN_WORDS;
            while (len < used.length) {
                len <<= 1;
            }
            words = Arrays.copyOf(used, Math.min(len, maxWords));
            usedWords = used.length;
        }
    }

    static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(problem);
        }
    }

    // ------------------------------------------------------------------ internals

    private void clearAll(long watermark) {
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
}

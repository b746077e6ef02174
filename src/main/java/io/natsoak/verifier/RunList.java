package io.natsoak.verifier;

import java.util.Arrays;

/**
 * Sorted, disjoint, non-adjacent inclusive ranges of sequences in primitive arrays: a
 * {@link PartitionLedger}'s gaps and its far runs. Memory is proportional to the number of ranges,
 * not of sequences. Not thread-safe, like the ledger that owns it.
 */
final class RunList {
    long[] from = LongArrays.EMPTY;
    long[] to = LongArrays.EMPTY;
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
            from = LongArrays.EMPTY;
            to = LongArrays.EMPTY;
        } else if (from.length > 16 && n <= from.length >>> 2) {
            from = Arrays.copyOf(from, from.length >>> 1);
            to = Arrays.copyOf(to, to.length >>> 1);
        }
    }

    long bytes() {
        return 24 + LongArrays.bytes(from) + LongArrays.bytes(to);
    }
}

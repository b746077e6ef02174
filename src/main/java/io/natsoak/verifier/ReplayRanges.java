package io.natsoak.verifier;

import java.util.Map;
import java.util.TreeMap;

/**
 * One partition's recently replayed sequences: those whose receipt said "possibly delivered
 * before" (delivery count above 1), kept as merged ranges.
 *
 * <p>Why: a duplicate is explained when either of its two processings was a replay, and the
 * receipts can arrive in either order. A fenced worker's last receipt batch may be stuck in a
 * publish retry through a NATS failover and land after the new owner's replay of the same
 * sequences; judged only by the later receipt (delivery count 1), that pair looked like an
 * unexplained duplicate. Replays come as contiguous runs (a new owner reads again from the
 * committed position), so a few ranges per failover are enough; ranges not extended for the
 * retention time are forgotten, which keeps the memory bounded over a long soak.
 */
final class ReplayRanges {

    /** Range start -> {end, last time it grew (nanos)}. */
    private final TreeMap<Long, long[]> ranges = new TreeMap<>();

    void add(long seq, long nowNanos) {
        Map.Entry<Long, long[]> below = ranges.floorEntry(seq);
        if (below != null && below.getValue()[0] >= seq - 1) {
            long[] range = below.getValue();
            range[0] = Math.max(range[0], seq);
            range[1] = nowNanos;
            Map.Entry<Long, long[]> next = ranges.higherEntry(below.getKey());
            if (next != null && next.getKey() <= range[0] + 1) {
                range[0] = Math.max(range[0], next.getValue()[0]);
                ranges.remove(next.getKey());
            }
            return;
        }
        long end = seq;
        long[] next = ranges.remove(seq + 1);
        if (next != null) {
            end = next[0];
        }
        ranges.put(seq, new long[] {end, nowNanos});
    }

    boolean contains(long seq) {
        Map.Entry<Long, long[]> below = ranges.floorEntry(seq);
        return below != null && below.getValue()[0] >= seq;
    }

    /** Forgets ranges that have not grown since {@code cutoffNanos}. */
    void forgetOlderThan(long cutoffNanos) {
        ranges.values().removeIf(r -> r[1] < cutoffNanos);
    }

    int size() {
        return ranges.size();
    }

    /** For the checkpoint: every range as {start, end, nanos since it last grew (at {@code nowNanos})}, ascending. */
    long[][] export(long nowNanos) {
        long[][] out = new long[ranges.size()][];
        int i = 0;
        for (Map.Entry<Long, long[]> e : ranges.entrySet()) {
            out[i++] = new long[] {e.getKey(), e.getValue()[0], Math.max(0, nowNanos - e.getValue()[1])};
        }
        return out;
    }

    /**
     * Rebuilds ranges from {@link #export}: ages are taken from {@code nowNanos}, so a range is
     * remembered as long as it would have been (time the verifier was down does not count).
     *
     * @throws IllegalArgumentException if the ranges are not ascending and disjoint, or an age is negative
     */
    static ReplayRanges restore(long[][] exported, long nowNanos) {
        ReplayRanges r = new ReplayRanges();
        long previousEnd = 0;
        for (long[] range : exported) {
            if (range.length != 3 || range[0] < 1 || range[1] < range[0] || range[0] <= previousEnd || range[2] < 0) {
                throw new IllegalArgumentException("replayed range " + java.util.Arrays.toString(range) + " is not valid");
            }
            r.ranges.put(range[0], new long[] {range[1], nowNanos - range[2]});
            previousEnd = range[1];
        }
        return r;
    }
}

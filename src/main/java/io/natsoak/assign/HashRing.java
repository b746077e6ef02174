package io.natsoak.assign;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A consistent-hash ring: every member owns {@code virtualNodes} points; a partition belongs to
 * the member of the first point at or after the partition's hash (wrapping). The hash is fixed
 * (FNV-1a 64 over UTF-8, then the SplitMix64 finaliser), so every JVM builds the same ring.
 */
final class HashRing {

    private final long[] points;
    private final int[] owners;
    private final List<String> members;

    HashRing(List<String> sortedMembers, int virtualNodes) {
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtualNodes must be >= 1, got " + virtualNodes);
        }
        this.members = List.copyOf(sortedMembers);
        int n = members.size() * virtualNodes;
        long[][] pairs = new long[n][];
        int k = 0;
        for (int m = 0; m < members.size(); m++) {
            for (int v = 0; v < virtualNodes; v++) {
                pairs[k++] = new long[] {hash(members.get(m) + "#" + v), m};
            }
        }
        // Ties (astronomically rare) are broken by member order, so the ring stays deterministic.
        Arrays.sort(pairs, (a, b) -> a[0] != b[0] ? Long.compareUnsigned(a[0], b[0]) : Long.compare(a[1], b[1]));
        points = new long[n];
        owners = new int[n];
        for (int i = 0; i < n; i++) {
            points[i] = pairs[i][0];
            owners[i] = (int) pairs[i][1];
        }
    }

    List<String> members() {
        return members;
    }

    /** Index of the member owning {@code key}. */
    int owner(long key) {
        return owners[start(key)];
    }

    /** Members in ring order starting at {@code key}, each once: the order bounded-load placement tries them. */
    int[] walk(long key) {
        int n = members.size();
        int[] order = new int[n];
        boolean[] seen = new boolean[n];
        int found = 0;
        for (int i = start(key), steps = 0; found < n && steps < points.length; i = (i + 1) % points.length, steps++) {
            int m = owners[i];
            if (!seen[m]) {
                seen[m] = true;
                order[found++] = m;
            }
        }
        return order;
    }

    private int start(long key) {
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(points[mid], key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == points.length ? 0 : lo;
    }

    static long partitionKey(int partition) {
        return hash("partition-" + partition);
    }

    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }
}

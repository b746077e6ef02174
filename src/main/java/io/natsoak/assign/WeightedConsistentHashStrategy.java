package io.natsoak.assign;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.stream.IntStream;

/**
 * Consistent hashing with bounded, weighted loads (after Mirrokni, Thorup and Zadimoghaddam,
 * "Consistent Hashing with Bounded Loads"), plus spreading of hot partitions.
 * <ol>
 *   <li>Partitions are placed heaviest first (ties by partition number).</li>
 *   <li>Each partition walks the ring from its hash and goes to the first member whose weighted
 *       load stays within {@code maxLoadFactor x total / members}.</li>
 *   <li>Hot partitions (weight above the mean partition weight) are placed first and additionally
 *       limited to {@code ceil(hot / members)} per member, so they are spread as evenly as their
 *       count allows instead of wherever the ring happens to send them.</li>
 *   <li>When no member fits, the least-loaded one takes the partition.</li>
 * </ol>
 * Guarantee: no member exceeds {@code maxLoadFactor x} the average load whenever every partition
 * weighs at most {@code (maxLoadFactor - 1) x} the average member load (then a member at or below
 * the average always has room); otherwise the overflow is at most one partition above the least
 * loaded member. Because most partitions still land on their ring owner, a membership change moves
 * few partitions (measured in the tests, see docs/partition-manager.md).
 */
public final class WeightedConsistentHashStrategy implements PartitionAssigner {

    public static final double DEFAULT_MAX_LOAD_FACTOR = 1.3;
    private static final double EPSILON = 1e-9;

    private final int virtualNodes;
    private final double maxLoadFactor;

    public WeightedConsistentHashStrategy(int virtualNodes, double maxLoadFactor) {
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtualNodes must be >= 1, got " + virtualNodes);
        }
        if (!(maxLoadFactor >= 1.0) || Double.isInfinite(maxLoadFactor)) {
            throw new IllegalArgumentException("maxLoadFactor must be a finite number >= 1, got " + maxLoadFactor);
        }
        this.virtualNodes = virtualNodes;
        this.maxLoadFactor = maxLoadFactor;
    }

    @Override
    public Map<String, SortedSet<Integer>> assign(List<String> members, double[] weights) {
        List<String> sorted = MemberIds.sorted(members);
        Map<String, SortedSet<Integer>> out = ConsistentHashStrategy.empty(sorted);
        if (sorted.isEmpty() || weights.length == 0) {
            return out;
        }
        int n = sorted.size();
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double mean = total / weights.length;
        double cap = maxLoadFactor * total / n;
        int[] order = heaviestFirst(weights);
        int hot = (int) Arrays.stream(weights).filter(w -> w > mean * (1 + EPSILON)).count();
        int hotCap = (hot + n - 1) / n;

        HashRing ring = new HashRing(sorted, virtualNodes);
        double[] loads = new double[n];
        int[] hotCounts = new int[n];
        for (int p : order) {
            double w = weights[p];
            boolean isHot = w > mean * (1 + EPSILON);
            int[] walk = ring.walk(HashRing.partitionKey(p));
            int chosen = -1;
            for (int m : walk) {
                if (isHot && hotCounts[m] >= hotCap) {
                    continue;
                }
                if (loads[m] + w <= cap * (1 + EPSILON)) {
                    chosen = m;
                    break;
                }
            }
            if (chosen < 0) {
                for (int m : walk) {
                    if (isHot && hotCounts[m] >= hotCap) {
                        continue;
                    }
                    if (chosen < 0 || loads[m] < loads[chosen] - EPSILON) {
                        chosen = m;
                    }
                }
            }
            loads[chosen] += w;
            if (isHot) {
                hotCounts[chosen]++;
            }
            out.get(sorted.get(chosen)).add(p);
        }
        return out;
    }

    @Override
    public String name() {
        return "weighted-consistent-hash(" + virtualNodes + ", " + maxLoadFactor + ")";
    }

    /** Partition numbers by weight, heaviest first, ties by number; rejects negative or non-finite weights. */
    static int[] heaviestFirst(double[] weights) {
        for (int p = 0; p < weights.length; p++) {
            if (!(weights[p] >= 0) || Double.isInfinite(weights[p])) {
                throw new IllegalArgumentException("weight of partition " + p + " must be finite and >= 0, got " + weights[p]);
            }
        }
        return IntStream.range(0, weights.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(p -> -weights[p]).thenComparingInt(p -> p))
                .mapToInt(Integer::intValue).toArray();
    }
}

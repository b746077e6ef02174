package io.natsoak.assign;

import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * Deals partitions like cards, heaviest first (ties by partition number), to the members in
 * {@link MemberIds#ORDER}: equal counts (within one) and hot partitions spread one per member
 * before any member gets a second. With uniform weights it equals {@link StaticStrategy}. Not
 * stable: a membership change reshuffles most partitions.
 */
public final class RoundRobinStrategy implements PartitionAssigner {

    @Override
    public Map<String, SortedSet<Integer>> assign(List<String> members, double[] weights) {
        List<String> sorted = MemberIds.sorted(members);
        Map<String, SortedSet<Integer>> out = ConsistentHashStrategy.empty(sorted);
        if (sorted.isEmpty()) {
            return out;
        }
        int[] order = WeightedConsistentHashStrategy.heaviestFirst(weights);
        for (int i = 0; i < order.length; i++) {
            out.get(sorted.get(i % sorted.size())).add(order[i]);
        }
        return out;
    }

    @Override
    public String name() {
        return "round-robin";
    }
}

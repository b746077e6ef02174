package io.natsoak.assign;

import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * Partition p belongs to the (p mod N)-th member in {@link MemberIds#ORDER}: the baseline of the
 * static assignment. Any change of the member count moves almost everything.
 */
public final class StaticStrategy implements PartitionAssigner {

    @Override
    public Map<String, SortedSet<Integer>> assign(List<String> members, double[] weights) {
        List<String> sorted = MemberIds.sorted(members);
        Map<String, SortedSet<Integer>> out = ConsistentHashStrategy.empty(sorted);
        if (sorted.isEmpty()) {
            return out;
        }
        for (int p = 0; p < weights.length; p++) {
            out.get(sorted.get(p % sorted.size())).add(p);
        }
        return out;
    }

    @Override
    public String name() {
        return "static";
    }
}

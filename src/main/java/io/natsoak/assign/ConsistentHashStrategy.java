package io.natsoak.assign;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Plain consistent hashing with virtual nodes: weights are ignored. Adding one member to N moves
 * about 1/(N+1) of the partitions (only those the newcomer takes); removing one moves only its own.
 * Balance improves with virtual nodes (load spread ~ 1/sqrt(virtualNodes)).
 */
public final class ConsistentHashStrategy implements PartitionAssigner {

    public static final int DEFAULT_VIRTUAL_NODES = 200;

    private final int virtualNodes;

    public ConsistentHashStrategy(int virtualNodes) {
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtualNodes must be >= 1, got " + virtualNodes);
        }
        this.virtualNodes = virtualNodes;
    }

    @Override
    public Map<String, SortedSet<Integer>> assign(List<String> members, double[] weights) {
        List<String> sorted = MemberIds.sorted(members);
        Map<String, SortedSet<Integer>> out = empty(sorted);
        if (sorted.isEmpty()) {
            return out;
        }
        HashRing ring = new HashRing(sorted, virtualNodes);
        for (int p = 0; p < weights.length; p++) {
            out.get(sorted.get(ring.owner(HashRing.partitionKey(p)))).add(p);
        }
        return out;
    }

    @Override
    public String name() {
        return "consistent-hash(" + virtualNodes + ")";
    }

    static Map<String, SortedSet<Integer>> empty(List<String> sorted) {
        Map<String, SortedSet<Integer>> out = new LinkedHashMap<>();
        for (String m : sorted) {
            out.put(m, new TreeSet<>());
        }
        return out;
    }
}

package io.natsoak.assign;

import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * Shares partitions between members. Implementations are pure and deterministic: the same member
 * set (in any order, duplicates ignored) and the same weights give the same answer in every
 * process, so any member can become leader and compute what the previous leader would have.
 */
public interface PartitionAssigner {

    /**
     * @param members member ids (for example {@code worker-0}); order and duplicates do not matter
     * @param weights one weight per partition ({@code weights.length} is the partition count);
     *                a weight is the partition's relative load (its share of the message rate)
     * @return every member mapped to its partitions (possibly empty); when {@code members} is not
     *         empty every partition appears exactly once; when it is empty the map is empty
     */
    Map<String, SortedSet<Integer>> assign(List<String> members, double[] weights);

    /** A short name for logs and the assignment record. */
    String name();
}

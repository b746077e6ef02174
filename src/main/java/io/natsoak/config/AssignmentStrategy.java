package io.natsoak.config;

/** How partitions are shared between workers. */
public enum AssignmentStrategy {
    /** Partition p belongs to worker p mod N by configured index; a baseline with no coordination (no partition manager). */
    STATIC,
    /** Partition manager, partitions dealt in turn (hot ones first); reshuffles most partitions on a membership change. */
    ROUND_ROBIN,
    /** Partition manager, consistent hashing with virtual nodes: adding a worker moves about 1/(N+1) of the partitions. */
    CONSISTENT_HASH,
    /** Partition manager, consistent hashing with bounded loads by partition weight: hot partitions are spread first. */
    WEIGHTED_CONSISTENT_HASH;

    /** True when workers coordinate through the partition manager. */
    public boolean managed() {
        return this != STATIC;
    }
}

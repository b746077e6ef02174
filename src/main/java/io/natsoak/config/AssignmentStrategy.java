package io.natsoak.config;

/** How partitions are shared between workers. */
public enum AssignmentStrategy {
    /** Partition p belongs to worker p mod N; a baseline with no coordination. */
    STATIC
}

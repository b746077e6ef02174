package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** The worker processes and the partition manager that shares partitions between them ({@code natsoak.worker}). */
public interface WorkerConfig {
    /** Number of worker processes. */
    @WithDefault("3")
    int count();

    /** This worker's index in 0..count-1 (-1: take the trailing number of the instance name). */
    @WithDefault("-1")
    int index();

    /**
     * How partitions are shared: static (p mod count by index, no coordination) or through the
     * partition manager (round-robin, consistent-hash, weighted-consistent-hash).
     */
    @WithDefault("weighted-consistent-hash")
    AssignmentStrategy assignment();

    /** Partition manager: a member whose heartbeat is older than this is gone (its partitions move). */
    @WithDefault("5s")
    Duration heartbeatTtl();

    /** Partition manager: how often a member renews its heartbeat. */
    @WithDefault("1s")
    Duration heartbeatInterval();

    /** Partition manager: extra wait after a heartbeat expired before an emergency rebalance. */
    @WithDefault("1s")
    Duration emergencyGrace();

    /** Partition manager: joins and graceful leaves within this window are rebalanced together. */
    @WithDefault("1s")
    Duration rebalanceWindow();

    /** Partition manager: least time between two planned rebalances. */
    @WithDefault("3s")
    Duration minRebalanceInterval();

    /** Partition manager: wait this long after the first member appears before the first assignment. */
    @WithDefault("5s")
    Duration coldStart();

    /** Consistent hashing: virtual nodes per worker. */
    @WithDefault("200")
    int virtualNodes();

    /** Weighted consistent hashing: no worker above this multiple of the average load, where feasible. */
    @WithDefault("1.3")
    double maxLoadFactor();

    /** Simulated processing time of one message: a uniform random value in [min, max]. */
    @WithDefault("1ms")
    Duration processingDelayMin();

    @WithDefault("5ms")
    Duration processingDelayMax();

    /** Most receipts in one receipts-stream message. */
    @WithDefault("500")
    int receiptBatchSize();

    /** Longest a processed message waits for its receipt batch to fill. */
    @WithDefault("50ms")
    Duration receiptLinger();

    /** How often each partition's consumed position is committed to NATS KV. */
    @WithDefault("1s")
    Duration commitInterval();

    /** Messages a worker holds between delivery and receipt before it stops pulling (back-pressure). */
    @WithDefault("20000")
    int maxPending();
}

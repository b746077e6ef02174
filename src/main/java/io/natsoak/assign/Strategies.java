package io.natsoak.assign;

import io.natsoak.config.NatsoakConfig;

/** Builds the strategy the configuration names ({@link io.natsoak.config.AssignmentStrategy}). */
public final class Strategies {

    private Strategies() {
    }

    /** The strategy {@code kind} names, with its parameters (the consistent hashes use them). */
    public static PartitionAssigner of(io.natsoak.config.AssignmentStrategy kind, int virtualNodes, double maxLoadFactor) {
        return switch (kind) {
            case STATIC -> new StaticStrategy();
            case ROUND_ROBIN -> new RoundRobinStrategy();
            case CONSISTENT_HASH -> new ConsistentHashStrategy(virtualNodes);
            case WEIGHTED_CONSISTENT_HASH -> new WeightedConsistentHashStrategy(virtualNodes, maxLoadFactor);
        };
    }

    /** The strategy the worker settings name. */
    public static PartitionAssigner of(NatsoakConfig config) {
        return of(config.worker().assignment(), config.worker().virtualNodes(), config.worker().maxLoadFactor());
    }

    /** The default for workers: weighted consistent hashing, 200 virtual nodes, load bound 1.3. */
    public static PartitionAssigner defaultStrategy() {
        return new WeightedConsistentHashStrategy(ConsistentHashStrategy.DEFAULT_VIRTUAL_NODES,
                WeightedConsistentHashStrategy.DEFAULT_MAX_LOAD_FACTOR);
    }
}

package io.natsoak.assign;

import io.natsoak.config.NatsoakConfig;

import java.util.Locale;

/** Builds a strategy from its configuration name (what the lead wires to {@code io.natsoak.config.AssignmentStrategy}). */
public final class Strategies {

    private Strategies() {
    }

    /**
     * @param name {@code static}, {@code round-robin}, {@code consistent-hash} or
     *             {@code weighted-consistent-hash} (case and {@code _}/{@code -} do not matter)
     */
    public static AssignmentStrategy of(String name, int virtualNodes, double maxLoadFactor) {
        String n = name.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        return switch (n) {
            case "static" -> new StaticStrategy();
            case "round-robin", "roundrobin" -> new RoundRobinStrategy();
            case "consistent-hash", "consistenthash" -> new ConsistentHashStrategy(virtualNodes);
            case "weighted-consistent-hash", "weightedconsistenthash", "weighted" ->
                    new WeightedConsistentHashStrategy(virtualNodes, maxLoadFactor);
            default -> throw new IllegalArgumentException("unknown assignment strategy '" + name
                    + "' (static, round-robin, consistent-hash, weighted-consistent-hash)");
        };
    }

    /** The strategy the worker settings name. */
    public static AssignmentStrategy of(NatsoakConfig config) {
        return of(config.worker().assignment().name().toLowerCase(Locale.ROOT), config.worker().virtualNodes(),
                config.worker().maxLoadFactor());
    }

    /** The default for workers: weighted consistent hashing, 200 virtual nodes, load bound 1.3. */
    public static AssignmentStrategy defaultStrategy() {
        return new WeightedConsistentHashStrategy(ConsistentHashStrategy.DEFAULT_VIRTUAL_NODES,
                WeightedConsistentHashStrategy.DEFAULT_MAX_LOAD_FACTOR);
    }
}

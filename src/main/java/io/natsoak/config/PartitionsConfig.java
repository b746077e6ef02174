package io.natsoak.config;

import io.smallrye.config.WithDefault;

/** The data: how many partitions, at what rate, and how the rate is shared ({@code natsoak.partitions}). */
public interface PartitionsConfig {
    /** Number of partitions (subjects) in the data stream. */
    @WithDefault("10")
    int count();

    /** Average messages per second per partition; the total rate is count x rate. */
    @WithDefault("10")
    double rate();

    @WithDefault("uniform")
    Distribution distribution();

    /** With exponential distribution: the percentage of partitions that are hot. */
    @WithDefault("5")
    double extremePercent();

    /** With exponential distribution: the weight of a hot partition. */
    @WithDefault("20")
    double extremeWeight();

    /** With exponential distribution: the weight of every other partition. */
    @WithDefault("1")
    double normalWeight();
}

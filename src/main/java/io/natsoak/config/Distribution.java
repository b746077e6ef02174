package io.natsoak.config;

/** How the configured rate is spread over partitions. */
public enum Distribution {
    /** Every partition gets the same rate. */
    UNIFORM,
    /** A small percentage of "extreme" partitions gets a much larger share (hot partitions). */
    EXPONENTIAL
}

package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** The producer processes ({@code natsoak.producer}). */
public interface ProducerConfig {
    /** Number of producer processes; partitions are split between them by index. */
    @WithDefault("2")
    int count();

    /** This producer's index in 0..count-1 (-1: take the trailing number of the instance name). */
    @WithDefault("-1")
    int index();

    /** Size in bytes of each data message (the envelope is padded up to it). */
    @WithDefault("200")
    int messageSize();

    /** How often the producer publishes its acknowledged high-water marks. */
    @WithDefault("1s")
    Duration markInterval();

    /**
     * Publishes in flight at once per partition, sent in sequence order (1..64). 1 waits for
     * each PubAck before sending the partition's next sequence; more hides the round trip.
     */
    @WithDefault("16")
    int publishWindow();
}

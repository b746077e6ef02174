package io.natsoak.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * Every natsoak setting, under the prefix {@code natsoak}. Set them as system properties
 * ({@code -Dnatsoak.partitions.count=50}), environment variables ({@code NATSOAK_PARTITIONS_COUNT=50})
 * or through a preset ({@code natsoak.preset=quick}). Values are checked by {@link ConfigLoader}
 * before anything starts: a bad value stops the process with one line.
 */
@ConfigMapping(prefix = "natsoak")
public interface NatsoakConfig {

    /** Which role this process plays. */
    @WithDefault("local")
    Role role();

    /** A named preset of defaults (quick, chaos-test, dev, realistic, stress, extreme); explicit settings win. */
    Optional<String> preset();

    /**
     * Names this run's streams, buckets and subjects, so several runs (and tests) can share one
     * NATS cluster without touching each other's data. Letters, digits, '-' and '_'.
     */
    @WithDefault("soak")
    String runId();

    /** How long producers publish; 0 means until stopped. */
    @WithDefault("2m")
    Duration duration();

    /** The name of this process (pod name in Kubernetes); used in connection names and receipts. */
    Optional<String> instance();

    PartitionsConfig partitions();

    ProducerConfig producer();

    WorkerConfig worker();

    VerifierConfig verifier();

    NatsConfig nats();

    LocalConfig local();

    ControlConfig control();

    ResourcesConfig resources();

    ChaosConfig chaos();
}

package io.natsoak.config;

import io.smallrye.config.WithDefault;

/**
 * Relative weights of the chaos events (0 = never). Within each round of the schedule every
 * event occurs exactly as often as its weight says, in a seeded random order.
 */
public interface ChaosWeightsConfig {
    @WithDefault("3")
    int workerCrash();

    @WithDefault("2")
    int workerGracefulStop();

    @WithDefault("2")
    int workerRestart();

    @WithDefault("1")
    int scaleUp();

    @WithDefault("1")
    int scaleDown();

    @WithDefault("2")
    int leaderFailure();

    @WithDefault("1")
    int producerCrash();

    @WithDefault("2")
    int networkDisconnect();

    @WithDefault("1")
    int natsNodeKill();

    @WithDefault("1")
    int verifierRestart();

    /** The verifier killed (SIGKILL, pod delete with grace 0); it resumes from its checkpoint. */
    @WithDefault("1")
    int verifierCrash();

    /** Only used when natsoak.chaos.leak-canary=true. */
    @WithDefault("1")
    int leakCanary();
}

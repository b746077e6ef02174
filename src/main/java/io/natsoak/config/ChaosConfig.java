package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * The chaos operator (role chaos in Kubernetes; inside the launcher in local mode): what
 * faults it injects, how often, and the safety rails. docs/chaos.md describes every event.
 */
public interface ChaosConfig {
    /** Inject faults; false means none at all (the operator still runs and reports that it is idle). */
    @WithDefault("false")
    boolean enabled();

    /** The schedule's seed: the same seed gives the same sequence of events and delays. Unset: a random one, logged and reported. */
    Optional<Long> seed();

    /** Least time between two faults. */
    @WithDefault("30s")
    Duration intervalMin();

    /** Most time between two faults (each interval is uniform in [min, max]). */
    @WithDefault("2m")
    Duration intervalMax();

    /** Decide and record every fault, but change nothing (Kubernetes: no pod is deleted, nothing is scaled). */
    @WithDefault("false")
    boolean dryRun();

    /** Never leave fewer than this many ready pods of the victim's role (siblings of the victim). */
    @WithDefault("1")
    int minReady();

    /** Leave pods (processes) younger than this alone: they may still be starting. */
    @WithDefault("30s")
    Duration minAge();

    /** scale_down never goes below this many workers. */
    @WithDefault("2")
    int workersMin();

    /** scale_up never goes above this many workers. */
    @WithDefault("5")
    int workersMax();

    /** network_disconnect cuts a process off NATS for a random time in [min, max]. */
    @WithDefault("5s")
    Duration disconnectMin();

    @WithDefault("30s")
    Duration disconnectMax();

    /** Local backend: how long a killed nats-server stays down before it is started again (the StatefulSet's job in Kubernetes). */
    @WithDefault("5s")
    Duration natsRestartDelay();

    /** The leak_canary event (off unless set): the victim leaks threads for leak-duration, then releases them. Needs natsoak.control.leak-canary on the victims. */
    @WithDefault("false")
    boolean leakCanary();

    @WithDefault("20s")
    Duration leakDuration();

    @WithDefault("60")
    int leakThreadsPerMinute();

    ChaosWeightsConfig weights();

    ChaosKubernetesConfig kubernetes();
}

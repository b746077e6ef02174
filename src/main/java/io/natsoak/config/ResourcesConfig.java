package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Every role process samples its own threads, heap after GC and RSS; the verifier judges their growth. */
public interface ResourcesConfig {
    /** How often each process samples and publishes its resources. */
    @WithDefault("5s")
    Duration sampleInterval();

    /**
     * After a process is ready (every component running and its first unit of work done): the
     * window whose median is its baseline (a restarted process begins a new one). Samples
     * taken while the process was still starting are never a baseline.
     */
    @WithDefault("30s")
    Duration warmUp();

    /**
     * The growth verdict compares a process' baseline with the floor (lowest value) of its samples
     * of this last window: a fault's transient at the end of a short life is not growth; a leak
     * raises the floor once it has lasted this long.
     */
    @WithDefault("2m")
    Duration endWindow();

    /**
     * After an in-place restart or reconnect of a component: how long it has to settle before
     * the threads it left behind are counted (the lowest of three censuses a second apart).
     */
    @WithDefault("5s")
    Duration restartSettle();

    /**
     * How many of a component's most recent in-place restarts are judged: the verdict fails
     * when more than half of them (and at least that many restarts) left threads behind.
     */
    @WithDefault("5")
    int restartWindow();

    /**
     * A full collection is requested when the old generation has not been collected for this
     * long (0 = never), so that heap after GC is known and judged within the hour in every
     * process, not only in those that happen to fill their old generation.
     */
    @WithDefault("2m")
    Duration heapProbeInterval();

    /**
     * The verdict fails when a process' live threads grow by more than this percentage over its
     * baseline, per 6 hours of the process' life (never less than this) and by at least the floor.
     */
    @WithDefault("5")
    double maxThreadGrowthPercent();

    /** The same for heap after GC (old generation used after the last collection). */
    @WithDefault("10")
    double maxHeapGrowthPercent();

    /** The same for the resident set size. */
    @WithDefault("20")
    double maxRssGrowthPercent();

    /** Thread growth of fewer than this many threads never fails the verdict (noise floor). */
    @WithDefault("3")
    int minThreadGrowth();

    /** Heap-after-GC growth below this many MiB never fails the verdict (noise floor). */
    @WithDefault("16")
    int minHeapGrowthMib();

    /** RSS growth below this many MiB never fails the verdict (noise floor). */
    @WithDefault("64")
    int minRssGrowthMib();
}

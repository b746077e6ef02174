package io.natsoak.config;

import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code ./natsoak local}: the local NATS cluster and role processes the launcher runs ({@code natsoak.local}). */
public interface LocalConfig {
    /** Path or name of the nats-server binary. */
    @WithDefault("nats-server")
    String natsServer();

    /**
     * The nats-server to run ({@code ./natsoak local --nats}): a release, 2.9, 2.10 or 2.15 (or its full
     * version 2.9.10, 2.10.27, 2.15.1), fetched once from the Debian release that ships it into
     * {@code ${XDG_CACHE_HOME:-$HOME/.cache}/natsoak/nats-server/<version>/}; or the path of a nats-server
     * binary. When set, {@code nats-server} is not used.
     */
    Optional<String> natsVersion();

    /** NATS nodes the local cluster runs. */
    @WithDefault("3")
    int nodes();

    /** Keep the cluster's data directory after the run (for inspection). */
    @WithDefault("false")
    boolean keepData();

    /**
     * Also run a local Prometheus that scrapes every role process and loads natsoak's alert
     * rules ({@code ./natsoak local --prometheus}); stops with the run.
     */
    @WithDefault("false")
    boolean prometheus();

    /** Path or name of the prometheus binary (Debian package prometheus). */
    @WithDefault("prometheus")
    String prometheusBinary();

    /** How often the launcher prints its progress line. */
    @WithDefault("5s")
    Duration progressInterval();

    /**
     * Set by the launcher on the processes it starts: they exit when the launcher's process
     * is gone, so a killed launcher leaves no role process behind.
     */
    Optional<Long> parentPid();

    /**
     * Extra JVM options for every role process. The default commits and touches the whole heap
     * at start, so a process' RSS does not climb while the heap grows into its maximum (sizing,
     * not a leak): RSS growth is then native memory (threads, metaspace, buffers), and heap
     * growth is judged by heap after GC.
     */
    @WithName("jvm-options")
    @WithDefault("-Xms256m,-Xmx256m,-XX:+AlwaysPreTouch")
    List<String> jvmOptions();
}

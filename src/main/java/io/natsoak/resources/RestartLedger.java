package io.natsoak.resources;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.ResourceSample.RestartStats;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * The threads each in-place restart (or disconnect and reconnect) of a component left behind,
 * per component, for the whole life of the process. The incident natsoak exists for was exactly
 * this: every restart started another copy of a component's loops, one thread at a time, in a
 * process that lived for hours. Measured by the control plane ({@code control.RestartProbe}),
 * exported here (a summary of threads left per restart and a counter of the restarts that left
 * any, for the alert), and carried in every resource sample to the verifier, which judges the
 * last {@code window} restarts of each component. Thread-safe.
 */
public final class RestartLedger {

    private final int window;
    private final MeterRegistry registry;
    private final Map<String, Component> components = new TreeMap<>();

    public RestartLedger(int window, MeterRegistry registry) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, was " + window);
        }
        this.window = window;
        this.registry = registry;
    }

    /** Registers a component's meters at 0, so the first leaky restart is an increase the alert can see. */
    public synchronized void register(String component) {
        components.computeIfAbsent(component, this::newComponent);
    }

    /** One measured restart of {@code component}: {@code leftThreads} more natsoak threads than before it (may be negative). */
    public synchronized void record(String component, int leftThreads) {
        Component c = components.computeIfAbsent(component, this::newComponent);
        c.settled++;
        c.left.record(Math.max(0, leftThreads));
        if (leftThreads > 0) {
            c.leaky++;
            c.leakyCounter.increment();
        }
        c.recent.addLast(leftThreads);
        while (c.recent.size() > window) {
            c.recent.removeFirst();
        }
    }

    /** What every component's restarts left behind so far (only components with a measured restart). */
    public synchronized Map<String, RestartStats> stats() {
        Map<String, RestartStats> out = new TreeMap<>();
        components.forEach((name, c) -> {
            if (c.settled > 0) {
                out.put(name, new RestartStats(c.settled, c.leaky, c.recent.stream().toList()));
            }
        });
        return out;
    }

    private Component newComponent(String name) {
        DistributionSummary left = DistributionSummary.builder(MetricNames.RESTART_THREADS_LEFT)
                .description("natsoak threads an in-place restart or reconnect left behind, once the component had settled")
                .tag(MetricNames.TAG_COMPONENT, name).register(registry);
        Counter leaky = Counter.builder(MetricNames.RESTARTS_LEAKY)
                .description("In-place restarts or reconnects that left at least one natsoak thread behind")
                .tag(MetricNames.TAG_COMPONENT, name).register(registry);
        Component c = new Component(left, leaky);
        Gauge.builder(MetricNames.RESTARTS_RECENT, c, x -> x.recentSize()).tag(MetricNames.TAG_COMPONENT, name)
                .description("How many of the component's most recent measured restarts are judged (at most the window)")
                .strongReference(true).register(registry);
        Gauge.builder(MetricNames.RESTARTS_RECENT_LEAKY, c, x -> x.recentLeaky()).tag(MetricNames.TAG_COMPONENT, name)
                .description("Of the component's most recent measured restarts, those that left threads behind")
                .strongReference(true).register(registry);
        return c;
    }

    private final class Component {
        final DistributionSummary left;
        final Counter leakyCounter;
        final ArrayDeque<Integer> recent = new ArrayDeque<>();
        int settled;
        int leaky;

        /** For the gauges; the ledger's lock guards {@link #recent}. */
        double recentSize() {
            synchronized (RestartLedger.this) {
                return recent.size();
            }
        }

        double recentLeaky() {
            synchronized (RestartLedger.this) {
                return recent.stream().filter(left -> left > 0).count();
            }
        }

        Component(DistributionSummary left, Counter leakyCounter) {
            this.left = left;
            this.leakyCounter = leakyCounter;
        }
    }
}

package io.natsoak.assign;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The {@link AssignMetricNames} meters, registered once per manager (one manager per registry). Thread-safe. */
final class ManagerMetrics {

    private final AtomicInteger heldGauge = new AtomicInteger();
    private final AtomicInteger pendingGauge = new AtomicInteger();
    private final AtomicInteger leaderGauge = new AtomicInteger();
    private final AtomicLong versionGauge = new AtomicLong();
    private final Map<String, Counter> rebalances = new HashMap<>();
    private final Map<String, Timer> recovery = new HashMap<>();
    private final Map<String, Timer> partitionRecovery = new HashMap<>();
    private final Timer handoffTimer;
    private final Counter fencedCounter;
    private final Counter evictionCounter;
    private final Counter recoveryIncomplete;

    ManagerMetrics(MeterRegistry registry) {
        registry.gauge(AssignMetricNames.PARTITIONS, Tags.empty(), heldGauge);
        registry.gauge(AssignMetricNames.PENDING, Tags.empty(), pendingGauge);
        registry.gauge(AssignMetricNames.LEADER, Tags.empty(), leaderGauge);
        registry.gauge(AssignMetricNames.VERSION, Tags.empty(), versionGauge);
        for (String kind : List.of(AssignMetricNames.KIND_EMERGENCY, AssignMetricNames.KIND_PLANNED, AssignMetricNames.KIND_COLD_START)) {
            rebalances.put(kind, Counter.builder(AssignMetricNames.REBALANCES).tag(AssignMetricNames.TAG_KIND, kind)
                    .description("assignments published as leader").register(registry));
        }
        for (String kind : List.of(AssignMetricNames.KIND_EMERGENCY, AssignMetricNames.KIND_PLANNED)) {
            recovery.put(kind, Timer.builder(AssignMetricNames.RECOVERY).tag(AssignMetricNames.TAG_KIND, kind)
                    .description("departed member's last heartbeat (or departure) to a message consumed on every partition it owned")
                    // A bucket boundary at the 8 s recovery objective, so the alert's quantile is exact there.
                    .publishPercentileHistogram().serviceLevelObjectives(Duration.ofSeconds(8)).register(registry));
            partitionRecovery.put(kind, Timer.builder(AssignMetricNames.PARTITION_RECOVERY).tag(AssignMetricNames.TAG_KIND, kind)
                    .description("previous owner's last heartbeat (or departure, or rebalance) to the first message consumed by the new owner")
                    .publishPercentileHistogram().register(registry));
        }
        handoffTimer = Timer.builder(AssignMetricNames.HANDOFF).description("assigned to granted (waiting for the previous owner's release)")
                .publishPercentileHistogram().register(registry);
        fencedCounter = Counter.builder(AssignMetricNames.FENCED).description("lease lapses").register(registry);
        evictionCounter = Counter.builder(AssignMetricNames.EVICTIONS).description("members evicted as leader").register(registry);
        recoveryIncomplete = Counter.builder(AssignMetricNames.RECOVERY_INCOMPLETE)
                .description("departures whose partitions were not all consumed within the horizon").register(registry);
    }

    /** The timers' kind: emergency, or planned for everything else (a cold start included). */
    static String kindOf(String kind) {
        return AssignMetricNames.KIND_EMERGENCY.equals(kind) ? AssignMetricNames.KIND_EMERGENCY : AssignMetricNames.KIND_PLANNED;
    }

    void held(int n) {
        heldGauge.set(n);
    }

    void pending(int n) {
        pendingGauge.set(n);
    }

    void leader(boolean leading) {
        leaderGauge.set(leading ? 1 : 0);
    }

    void version(long v) {
        versionGauge.set(v);
    }

    long version() {
        return versionGauge.get();
    }

    void rebalanced(String kind) {
        rebalances.get(kind).increment();
    }

    void recovered(String kind, long millis) {
        recovery.get(kindOf(kind)).record(millis, TimeUnit.MILLISECONDS);
    }

    void partitionRecovered(String kind, long millis) {
        partitionRecovery.get(kindOf(kind)).record(millis, TimeUnit.MILLISECONDS);
    }

    void handoff(long nanos) {
        handoffTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    void fenced() {
        fencedCounter.increment();
    }

    void evicted() {
        evictionCounter.increment();
    }

    void recoveryIncomplete() {
        recoveryIncomplete.increment();
    }
}

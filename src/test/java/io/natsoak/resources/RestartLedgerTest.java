package io.natsoak.resources;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.ResourceSample.RestartStats;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RestartLedgerTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RestartLedger ledger = new RestartLedger(3, registry);

    private double gauge(String name, String component) {
        return registry.get(name).tag(MetricNames.TAG_COMPONENT, component).gauge().value();
    }

    @Test
    void aRegisteredComponentExportsZerosBeforeItsFirstRestartAndHasNoStats() {
        ledger.register("worker");
        assertThat(registry.get(MetricNames.RESTARTS_LEAKY).tag(MetricNames.TAG_COMPONENT, "worker").counter().count()).isZero();
        assertThat(gauge(MetricNames.RESTARTS_RECENT, "worker")).isZero();
        assertThat(ledger.stats()).isEmpty();
    }

    @Test
    void keepsTheLastWindowOfRestartsAndCountsTheLeakyOnes() {
        for (int left : new int[] {2, 0, -1, 1, 1}) {
            ledger.record("worker", left);
        }
        assertThat(ledger.stats()).containsEntry("worker", new RestartStats(5, 3, List.of(-1, 1, 1)));
        assertThat(gauge(MetricNames.RESTARTS_RECENT, "worker")).isEqualTo(3);
        assertThat(gauge(MetricNames.RESTARTS_RECENT_LEAKY, "worker")).isEqualTo(2);
        assertThat(registry.get(MetricNames.RESTARTS_LEAKY).tag(MetricNames.TAG_COMPONENT, "worker").counter().count()).isEqualTo(3);
        var left = registry.get(MetricNames.RESTART_THREADS_LEFT).tag(MetricNames.TAG_COMPONENT, "worker").summary();
        assertThat(left.count()).isEqualTo(5);
        assertThat(left.totalAmount()).as("fewer threads than before counts as none left").isEqualTo(4);
    }

    @Test
    void aWindowBelowOneIsRefused() {
        assertThatThrownBy(() -> new RestartLedger(0, registry)).hasMessage("window must be at least 1, was 0");
    }
}

package io.natsoak.control;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.model.ResourceSample.RestartStats;
import io.natsoak.resources.RestartLedger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class RestartProbeTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final RestartLedger ledger = new RestartLedger(5, new SimpleMeterRegistry());
    /** Censuses in the order the probe takes them; the last one repeats. */
    private final Deque<Map<String, Integer>> censuses = new ArrayDeque<>();
    private final RestartProbe probe = new RestartProbe(ledger, Duration.ZERO, () -> censuses.size() > 1 ? censuses.poll() : censuses.peek());

    private static final class Idle extends GuardedComponent {
        Idle() {
            super("worker");
        }

        @Override
        protected void doStart() {
        }

        @Override
        protected void doStop() {
        }
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private static Map<String, Integer> census(int worker, int assign, int canary, int jvm) {
        return Map.of("worker", worker, "assign", assign, "canary", canary, "jvm", jvm);
    }

    private RestartStats measure(GuardedComponent c, List<Map<String, Integer>> sequence) throws Exception {
        censuses.clear();
        censuses.addAll(sequence);
        RestartProbe.Before before = probe.before(c);
        c.stop();
        c.start();
        int settled = ledger.stats().containsKey("worker") ? ledger.stats().get("worker").settled() : 0;
        probe.afterRestart(before, c, timer);
        await().atMost(Duration.ofSeconds(10)).until(() -> ledger.stats().containsKey("worker") && ledger.stats().get("worker").settled() > settled);
        return ledger.stats().get("worker");
    }

    @Test
    void theLowestOfTheCensusesAfterTheRestartIsComparedWithTheOneBefore() throws Exception {
        Idle c = new Idle();
        c.start();
        // before: 10 + 5; after: a pool thread passing through (17), then 16, 16: one left behind
        RestartStats stats = measure(c, List.of(census(10, 5, 0, 20), census(12, 5, 0, 20), census(11, 5, 0, 30), census(11, 5, 0, 20)));
        assertThat(stats.recent()).containsExactly(1);
        assertThat(stats.leaky()).isEqualTo(1);
    }

    @Test
    void jvmThreadsAndTheLeakCanaryDoNotCount() throws Exception {
        Idle c = new Idle();
        c.start();
        RestartStats stats = measure(c, List.of(census(10, 5, 0, 20), census(10, 5, 7, 40), census(10, 5, 7, 40), census(10, 5, 7, 40)));
        assertThat(stats.recent()).containsExactly(0);
        assertThat(stats.leaky()).isZero();
    }

    @Test
    void aComponentThatWasNotRunningIsNotMeasured() {
        Idle c = new Idle();
        assertThat(probe.before(c)).isNull();
        probe.afterRestart(null, c, timer);
        assertThat(ledger.stats()).isEmpty();
    }

    @Test
    void aRestartOvertakenByTheNextIsNotMeasured() throws Exception {
        Idle c = new Idle();
        c.start();
        censuses.add(census(10, 5, 0, 20));
        RestartProbe.Before first = probe.before(c);
        RestartProbe.Before second = probe.before(c);
        probe.afterRestart(first, c, timer);
        probe.afterRestart(second, c, timer);
        await().atMost(Duration.ofSeconds(10)).until(() -> ledger.stats().containsKey("worker"));
        // the overtaken one would record within three censuses a second apart: it never does
        await().during(Duration.ofMillis(3_500)).atMost(Duration.ofSeconds(10)).until(() -> ledger.stats().get("worker").settled() == 1);
    }

    @Test
    void theLogSaysWhichComponentsGrew() {
        assertThat(RestartProbe.grown(census(10, 5, 0, 20), census(11, 4, 3, 25))).isEqualTo("assign -1, worker +1");
    }
}

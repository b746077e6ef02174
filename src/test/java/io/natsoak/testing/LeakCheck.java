package io.natsoak.testing;

import io.natsoak.metrics.ThreadCensus;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leak assertion of the lifecycle tests: after many cycles, every component's thread count
 * is back at its baseline (after a bounded linger for threads that are finishing, with no
 * slack), and heap after a full GC is within a small bound.
 */
public final class LeakCheck {

    private static final Duration LINGER = Duration.ofSeconds(15);
    private static final long HEAP_BOUND_BYTES = 16L * 1024 * 1024;

    private final Map<String, Integer> baseline;
    private final long baselineHeap;

    private LeakCheck(Map<String, Integer> baseline, long baselineHeap) {
        this.baseline = baseline;
        this.baselineHeap = baselineHeap;
    }

    public static LeakCheck baseline() {
        return new LeakCheck(ThreadCensus.count(), heapAfterGc());
    }

    public Map<String, Integer> baselineThreads() {
        return baseline;
    }

    /** Fails (AssertionError) when a natsoak component has more threads than at the baseline after the linger. */
    public void assertNoThreadGrowth() {
        long deadline = System.nanoTime() + LINGER.toNanos();
        Map<String, Integer> now = ThreadCensus.count();
        while (grew(now) && System.nanoTime() < deadline) {
            sleep(100);
            now = ThreadCensus.count();
        }
        for (String component : ThreadCensus.COMPONENTS) {
            assertThat(now.get(component)).as("threads of %s (baseline %s, now %s; %s)", component, baseline, now, namesOf(component))
                    .isLessThanOrEqualTo(baseline.get(component));
        }
    }

    public void assertHeapWithinBound() {
        long heap = heapAfterGc();
        assertThat(heap - baselineHeap).as("heap after GC grew from %d to %d bytes", baselineHeap, heap).isLessThan(HEAP_BOUND_BYTES);
    }

    private static java.util.List<String> namesOf(String component) {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> ThreadCensus.componentOf(n).equals(component)).sorted().toList();
    }

    private boolean grew(Map<String, Integer> now) {
        return ThreadCensus.COMPONENTS.stream().anyMatch(c -> now.get(c) > baseline.get(c));
    }

    private static long heapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            sleep(50);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

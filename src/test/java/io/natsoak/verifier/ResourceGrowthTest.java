package io.natsoak.verifier;

import io.natsoak.model.Json;
import io.natsoak.model.Report;
import io.natsoak.model.ResourceSample;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ResourceGrowthTest {

    private static final long MIB = 1024 * 1024;
    private static final long START = 1_700_000_000_000L;
    /** Warm-up 30 s, samples every 5 s. */
    /** No noise floor here: the percentages alone (the floors have their own tests). */
    private static final ResourceGrowth.Limits LIMITS = new ResourceGrowth.Limits(Duration.ofSeconds(30), 5, 10, 20, 0, 0, 0);

    /** A clock the test moves: "now" is the last sample's time. */
    private static final class TestClock extends Clock {
        long millis = START;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    /** A sample of a process that was ready from its start (its first sample opens the warm-up). */
    private static ResourceSample ready(String role, String instance, long processStart, long at, int threads, long heap, long rss) {
        return new ResourceSample(role, instance, processStart, at, threads, heap, rss, Math.max(1, processStart));
    }

    private final TestClock clock = new TestClock();
    private final ResourceGrowth growth = new ResourceGrowth(LIMITS, clock);

    /** Samples every 5 s for {@code seconds}, threads(t) as given, heap 100 MiB, RSS 200 MiB. */
    private void feed(String role, String instance, long processStart, long fromMillis, int seconds, LongUnaryOperator threadsAtSecond) {
        for (int s = 0; s <= seconds; s += 5) {
            long at = fromMillis + s * 1000L;
            clock.millis = Math.max(clock.millis, at);
            growth.add(ready(role, instance, processStart, at, (int) threadsAtSecond.applyAsLong(s), 100 * MIB, 200 * MIB));
        }
    }

    @Test
    void aThreadLeakIsDetectedNamedAndMeasured() {
        feed("worker", "worker-0", START - 5_000, START, 300, s -> 45);
        // worker-1 leaks one thread every 10 s after its warm-up
        feed("worker", "worker-1", START - 5_000, START, 300, s -> s <= 30 ? 45 : 45 + (s - 30) / 10);
        feed("verifier", "verifier", START - 5_000, START, 300, s -> 30);

        Map<String, Report.RoleResources> byRole = growth.byRole();
        Report.Growth threads = byRole.get("worker").threads();
        assertThat(threads.instance()).isEqualTo("worker-1");
        assertThat(threads.baseline()).isEqualTo(45);
        assertThat(threads.end()).isEqualTo(60); // the floor of the last 2 minutes (180..300 s): 45 + 15
        assertThat(threads.growthPercent()).isCloseTo(33.3, within(0.1));
        assertThat(threads.slopePerHour()).isGreaterThan(100); // 360 threads/h after warm-up
        assertThat(threads.judged()).isTrue();
        assertThat(threads.crossed()).isTrue();
        assertThat(byRole.get("verifier").threads().crossed()).isFalse();
        assertThat(growth.reasons()).containsExactly("threads of worker-1 grew 33.3% (45 -> 60), limit 5%");
    }

    @Test
    void memoryGrowthIsDetectedInMiB() {
        for (int s = 0; s <= 300; s += 5) {
            long at = START + s * 1000L;
            clock.millis = at;
            long heap = s <= 30 ? 100 * MIB : 100 * MIB + (s - 30) * MIB / 10; // +27 MiB by the end
            growth.add(ready("verifier", "verifier", START, at, 30, heap, 200 * MIB));
        }
        Report.Growth heap = growth.byRole().get("verifier").heapAfterGcBytes();
        assertThat(heap.crossed()).isTrue();
        assertThat(growth.reasons()).containsExactly("heap after GC of verifier grew 15% (100.0 MiB -> 115.0 MiB), limit 10%");
        assertThat(growth.byRole().get("verifier").rssBytes().crossed()).isFalse();
    }

    @Test
    void noGrowthStaysSilentAndNoiseAroundTheLevelIsNotGrowth() {
        feed("producer", "producer-0", START, START, 3600, s -> 60 + (s / 5) % 3); // 60, 61, 62, 60, ...
        Report.Growth threads = growth.byRole().get("producer").threads();
        assertThat(threads.judged()).isTrue();
        assertThat(threads.crossed()).isFalse();
        assertThat(Math.abs(threads.slopePerHour())).isLessThan(1);
        assertThat(growth.reasons()).isEmpty();
    }

    @Test
    void aRestartSawtoothIsNotGrowth() {
        // Every 10 minutes the process restarts: it starts at 40 threads, is at its plateau (60, 63, 58, ...)
        // from the second sample on and stays flat. Across restarts the series is a sawtooth whose peaks are
        // 50 % above its troughs; per incarnation there is no growth, and the median ignores the first sample.
        long from = START;
        int[] plateaus = {60, 63, 58, 61, 60, 62};
        for (int restart = 0; restart < plateaus.length; restart++) {
            int plateau = plateaus[restart];
            feed("worker", "worker-0", from - 2_000, from, 600, s -> s < 5 ? 40 : plateau);
            from += 605_000;
        }
        Report.Growth threads = growth.byRole().get("worker").threads();
        assertThat(threads.judged()).isTrue();
        assertThat(threads.growthPercent()).isZero();
        assertThat(growth.reasons()).isEmpty();
    }

    @Test
    void aRestartedProcessStartsANewBaselineEvenWhenItsLevelIsHigher() {
        feed("worker", "worker-0", START - 1000, START, 120, s -> 40);
        // restarted with a different configuration: a higher but flat level
        feed("worker", "worker-0", START + 121_000, START + 125_000, 120, s -> 80);
        assertThat(growth.reasons()).isEmpty();
        // the same values from one incarnation are growth
        feed("worker", "worker-9", START - 1000, START, 120, s -> s <= 30 ? 40 : 80);
        assertThat(growth.reasons()).containsExactly("threads of worker-9 grew 100% (40 -> 80), limit 5%");
    }

    @Test
    void theSlopeIsTheLeastSquaresFitPerHourAndZeroForAFlatSeries() {
        for (int minute = 0; minute <= 120; minute++) {
            clock.millis = START + minute * 60_000L;
            growth.add(ready("worker", "linear", START, clock.millis, 100 + minute / 6, 100 * MIB, 200 * MIB));
        }
        Report.RoleResources w = growth.byRole().get("worker");
        assertThat(w.threads().slopePerHour()).isCloseTo(10, within(0.2)); // a step every 6 minutes: 10 per hour
        assertThat(w.heapAfterGcBytes().slopePerHour()).isZero();
        assertThat(w.rssBytes().slopePerHour()).isZero();
    }

    @Test
    void growthBelowTheAbsoluteFloorIsNoise() {
        ResourceGrowth floored = new ResourceGrowth(new ResourceGrowth.Limits(Duration.ofSeconds(30), 5, 10, 20, 3, 16 * MIB, 64 * MIB), clock);
        for (int s = 0; s <= 120; s += 5) {
            long at = START + s * 1000L;
            clock.millis = at;
            // 34 -> 36 threads (+5.9 %, but 2 threads) and 10 -> 11.1 MiB heap (+11 %, but 1.1 MiB): noise
            floored.add(ready("worker", "small", START, at, s <= 30 ? 34 : 36, s <= 30 ? 10 * MIB : 11 * MIB + MIB / 10, 200 * MIB));
            // 34 -> 40 threads: above both the percentage and the floor
            floored.add(ready("producer", "leaky", START, at, s <= 30 ? 34 : 40, 100 * MIB, 200 * MIB));
        }
        assertThat(floored.reasons()).containsExactly("threads of leaky grew 17.6% (34 -> 40), limit 5%");
    }

    @Test
    void theAllowedPercentageGrowsWithTheProcessLifeBeyondSixHours() {
        // 12 hours of life: 10 % more threads is within 2 x 5 %; 11 % is not
        long step = Duration.ofMinutes(10).toMillis();
        for (long t = 0; t <= Duration.ofHours(12).toMillis(); t += step) {
            long at = START + t;
            clock.millis = at;
            growth.add(ready("worker", "ten", START, at, t == 0 ? 100 : 110, 100 * MIB, 200 * MIB));
            growth.add(ready("producer", "eleven", START, at, t == 0 ? 100 : 111, 100 * MIB, 200 * MIB));
        }
        assertThat(growth.reasons()).containsExactly("threads of eleven grew 11% (100 -> 111), limit 10%");
    }

    @Test
    void thresholdEdgesExactlyAtTheLimitPassAboveFails() {
        feed("worker", "at-limit", START, START, 120, s -> s <= 30 ? 100 : 105);      // +5 %: not beyond
        assertThat(growth.reasons()).isEmpty();
        feed("worker", "above-limit", START, START, 120, s -> s <= 30 ? 100 : 106);   // +6 %
        assertThat(growth.reasons()).containsExactly("threads of above-limit grew 6% (100 -> 106), limit 5%");
    }

    @Test
    void nothingIsJudgedDuringTheWarmUpAndAZeroBaselineIsNotCompared() {
        feed("worker", "worker-0", START, START, 25, s -> s < 15 ? 40 : 400);
        Report.Growth threads = growth.byRole().get("worker").threads();
        assertThat(threads.judged()).isFalse();
        assertThat(growth.reasons()).isEmpty();

        for (int s = 0; s <= 120; s += 5) {
            clock.millis = START + s * 1000L;
            growth.add(ready("verifier", "verifier", START, clock.millis, 30, s <= 30 ? 0 : 50 * MIB, -1));
        }
        Report.RoleResources v = growth.byRole().get("verifier");
        assertThat(v.heapAfterGcBytes().baseline()).as("0 means no old-generation collection yet: unknown, not a baseline").isEqualTo(50 * MIB);
        assertThat(v.heapAfterGcBytes().growthPercent()).isZero();
        assertThat(v.heapAfterGcBytes().crossed()).isFalse();
        assertThat(v.rssBytes()).as("RSS unknown").isNull();
        assertThat(growth.reasons()).isEmpty();
    }

    @Test
    void aHeapLeakIsJudgedFromTheFirstOldGenerationCollectionHoweverLateItComes() {
        // No old-generation collection for 10 minutes (heap after GC 0), then 20 MiB live, then a leak.
        for (int s = 0; s <= 1_200; s += 5) {
            clock.millis = START + s * 1000L;
            long heap = s < 600 ? 0 : s <= 630 ? 20 * MIB : 20 * MIB + (s - 630) * MIB / 10;
            growth.add(ready("worker", "worker-0", START, clock.millis, 30, heap, 200 * MIB));
        }
        Report.Growth heap = growth.byRole().get("worker").heapAfterGcBytes();
        assertThat(heap.baseline()).isEqualTo(20 * MIB);
        assertThat(heap.judged()).isTrue();
        assertThat(heap.crossed()).isTrue();
        assertThat(growth.reasons()).singleElement().asString().startsWith("heap after GC of worker-0 grew");
    }

    @Test
    void theReportCarriesTheFiguresAndTheReasonsFailTheVerdict() {
        feed("worker", "worker-1", START, START, 120, s -> s <= 30 ? 45 : 64);
        Report pass = new Report(Report.PASS, List.of(), true, "r", 120, 10, 10, 10, 0, new Report.Duplicates(0, 0), 1, 0, 1,
                new Report.Latency(1, 2, 3), 0, 1, List.of(), Map.of());
        Report r = pass.withResources(growth.byRole(), growth.reasons());
        assertThat(r.verdict()).isEqualTo(Report.FAIL);
        assertThat(r.reasons()).containsExactly("threads of worker-1 grew 42.2% (45 -> 64), limit 5%");
        String json = new String(Json.write(r));
        assertThat(json).contains("\"resources\":{\"worker\":{\"threads\":{\"instance\":\"worker-1\",\"baseline\":45.0,\"end\":64.0");
        assertThat(json.indexOf("\"gapSamples\"")).isLessThan(json.indexOf("\"resources\""));
        assertThat(Json.read(Json.write(r), Report.class)).isEqualTo(r);
    }

    // ---- readiness, restarts, checkpoint (issue 16) ----

    /** One sample with an explicit readiness: {@code readyAt} 0 while the process is still starting. */
    private void sample(String instance, long processStart, long at, int threads, long readyAt, Map<String, ResourceSample.RestartStats> restarts) {
        clock.millis = Math.max(clock.millis, at);
        growth.add(new ResourceSample("worker", instance, processStart, at, threads, 0, 200 * MIB, readyAt, restarts));
    }

    @Test
    void aSlowStartIsNeverGrowthTheBaselineStartsWhenTheProcessIsReady() {
        // A busy node: 21 threads at the first sample, 34 once every component runs, ready after 60 s.
        long ready = START + 60_000;
        for (int s = 0; s <= 1_800; s += 5) {
            long at = START + s * 1000L;
            int threads = s < 60 ? 21 + s / 5 : 34;
            sample("worker-0", START - 3_000, at, threads, at >= ready ? ready : 0, Map.of());
        }
        Report.Growth threads = growth.byRole().get("worker").threads();
        assertThat(threads.baseline()).isEqualTo(34);
        assertThat(threads.judged()).isTrue();
        assertThat(threads.crossed()).isFalse();
        assertThat(growth.reasons()).isEmpty();
        assertThat(growth.byRole().get("worker").notReady()).isEmpty();
    }

    @Test
    void theSameSlowStartJudgedFromTheFirstSampleWouldHaveBeenALeak() {
        // What the first hour-long chaos soak reported: a baseline of 21 taken mid-start, 34 at the end.
        long at = START;
        for (int s = 0; s <= 1_800; s += 5) {
            at = START + s * 1000L;
            int threads = s < 60 ? 21 : 34;
            sample("worker-0", START - 3_000, at, threads, START, Map.of());
        }
        assertThat(growth.reasons()).containsExactly("threads of worker-0 grew 61.9% (21 -> 34), limit 5%");
    }

    /**
     * The second hour-long chaos soak: a producer's connection was dropped (disconnect, 8 of its
     * 35 threads gone) during its warm-up; the median of that warm-up was 29.5 and the verdict
     * called its steady 35 a leak. The process says it is not whole while a component is stopped
     * or restarted and has not worked again; such samples are no baseline and no end.
     */
    private void disconnectedDuringWarmUp(boolean flagged) {
        for (int s = 0; s <= 1_800; s += 5) {
            long at = START + s * 1000L;
            boolean disconnected = (s >= 10 && s < 30) || (s >= 1_500 && s < 1_520);
            clock.millis = at;
            growth.add(new ResourceSample("producer", "producer-0", START - 3_000, at, disconnected ? 27 : 35, 0, 200 * MIB, START, Map.of(),
                    flagged && disconnected));
        }
    }

    @Test
    void aDisconnectDuringTheWarmUpIsNoBaselineWhenTheProcessSaysItIsNotWhole() {
        disconnectedDuringWarmUp(true);
        Report.Growth threads = growth.byRole().get("producer").threads();
        assertThat(threads.baseline()).isEqualTo(35);
        assertThat(threads.end()).isEqualTo(35);
        assertThat(threads.judged()).isTrue();
        assertThat(growth.reasons()).isEmpty();
    }

    @Test
    void theSameDisconnectTakenIntoTheWarmUpWouldHaveBeenALeak() {
        disconnectedDuringWarmUp(false);
        assertThat(growth.reasons()).containsExactly("threads of producer-0 grew 29.6% (27 -> 35), limit 5%");
    }

    @Test
    void aLeakIsNotHiddenByARestartInTheEndWindow() {
        // A worker leaking 1 thread/min; its component restarted in place 30 s before the end (its threads dip for 20 s).
        for (int s = 0; s <= 1_800; s += 5) {
            long at = START + s * 1000L;
            boolean restarting = s >= 1_770 && s < 1_790;
            int threads = 40 + s / 60 - (restarting ? 12 : 0);
            clock.millis = at;
            growth.add(new ResourceSample("worker", "worker-0", START - 3_000, at, threads, 0, 200 * MIB, START, Map.of(), restarting));
        }
        assertThat(growth.reasons()).singleElement().asString().startsWith("threads of worker-0 grew").contains("(40 -> 68)");
    }

    @Test
    void aProcessThatNeverBecomesReadyIsListedAndNotJudged() {
        for (int s = 0; s <= 600; s += 5) {
            sample("worker-2", START - 1_000, START + s * 1000L, 21 + s / 5, 0, Map.of());
        }
        Report.RoleResources worker = growth.byRole().get("worker");
        assertThat(worker.threads()).isNull();
        assertThat(worker.notReady()).singleElement().asString().startsWith("worker-2 (started ").contains("never ready in 601 s");
        assertThat(growth.reasons()).isEmpty();
    }

    @Test
    void aWorkerThatGainsPartitionsKeepsTwoMoreThreadsBelowTheFloor() {
        ResourceGrowth floored = new ResourceGrowth(new ResourceGrowth.Limits(Duration.ofSeconds(30), 5, 10, 20, 3, 0, 0), clock);
        for (int s = 0; s <= 1_800; s += 5) {
            long at = START + s * 1000L;
            clock.millis = at;
            floored.add(new ResourceSample("worker", "worker-0", START, at, s < 600 ? 35 : 37, 0, 200 * MIB, START));
        }
        Report.Growth threads = floored.byRole().get("worker").threads();
        assertThat(threads.growthPercent()).isGreaterThan(5);
        assertThat(threads.crossed()).isFalse();
    }

    @Test
    void manyShortIncarnationsUnderChaosAreEachJudgedAndNoneIsALeak() {
        // The chaos-test profile: a worker killed every 7 minutes, each incarnation ramping 21 -> 34 before it is ready.
        long start = START;
        for (int life = 0; life < 9; life++) {
            long ready = start + 25_000;
            for (int s = 0; s <= 420; s += 5) {
                long at = start + 2_000 + s * 1000L;
                sample("worker-1", start, at, s < 25 ? 21 + s / 2 : 34 + (s / 5) % 2, at >= ready ? ready : 0, Map.of());
            }
            start += 425_000;
        }
        Report.Growth threads = growth.byRole().get("worker").threads();
        assertThat(threads.judged()).isTrue();
        assertThat(threads.crossed()).isFalse();
        assertThat(growth.reasons()).isEmpty();
    }

    private static ResourceSample.RestartStats restarts(int settled, Integer... recent) {
        return new ResourceSample.RestartStats(settled, (int) java.util.Arrays.stream(recent).filter(r -> r > 0).count(), List.of(recent));
    }

    @Test
    void aComponentThatLeavesAThreadAtEveryRestartFailsAfterThreeRestartsNamingIt() {
        long at = START;
        sample("worker-0", START, at, 35, START, Map.of("worker", restarts(2, 1, 1)));
        assertThat(growth.restartReasons()).as("two restarts are not yet most of five").isEmpty();
        Report.RestartLeaks early = growth.byRole().get("worker").restarts().get("worker");
        assertThat(early.judged()).isFalse();
        sample("worker-0", START, at + 5_000, 36, START, Map.of("worker", restarts(3, 1, 1, 1)));
        assertThat(growth.restartReasons()).containsExactly(
                "in-place restarts of worker in worker-0 left threads behind 3 times in the last 3 (1 threads per restart), limit: fewer than 3");
        Report.RestartLeaks leak = growth.byRole().get("worker").restarts().get("worker");
        assertThat(leak.crossed()).isTrue();
        assertThat(leak.instance()).isEqualTo("worker-0");
        assertThat(leak.threadsPerRestart()).isEqualTo(1.0);
    }

    @Test
    void restartsThatLeaveAThreadNowAndThenAreNoise() {
        // 2 of the last 5 left a thread (a pool thread still alive at the census), the oldest ones are out of the window.
        sample("worker-0", START, START, 35, START, Map.of("worker", restarts(9, 1, 1, 1, 0, 1, 0, 0, 1, 0)));
        assertThat(growth.restartReasons()).isEmpty();
        Report.RestartLeaks noise = growth.byRole().get("worker").restarts().get("worker");
        assertThat(noise.judged()).isTrue();
        assertThat(noise.leaky()).isEqualTo(2);
        assertThat(noise.judgedRestarts()).isEqualTo(5);
        assertThat(noise.crossed()).isFalse();
    }

    @Test
    void theWorstInstanceOfAComponentIsReported() {
        sample("worker-0", START, START, 35, START, Map.of("worker", restarts(5, 0, 0, 0, 0, -1)));
        sample("worker-1", START, START, 35, START, Map.of("worker", restarts(5, 0, 1, 1, 0, 1)));
        Report.RestartLeaks worst = growth.byRole().get("worker").restarts().get("worker");
        assertThat(worst.instance()).isEqualTo("worker-1");
        assertThat(worst.crossed()).isTrue();
    }

    @Test
    void aCheckpointedJudgementResumesWhereItStoppedAndKeepsItsBaselines() throws Exception {
        // 10 minutes of a flat process, then the verifier restarts; the process then leaks.
        for (int s = 0; s <= 600; s += 5) {
            sample("worker-0", START, START + s * 1000L, 40, START, Map.of("worker", restarts(1, 0)));
        }
        List<IncarnationState> saved = Json.MAPPER.readValue(Json.write(growth.snapshot()),
                new com.fasterxml.jackson.core.type.TypeReference<List<IncarnationState>>() { });
        ResourceGrowth restarted = new ResourceGrowth(LIMITS, clock);
        restarted.restore(saved);
        assertThat(restarted.byRole()).isEqualTo(growth.byRole());
        for (int s = 605; s <= 900; s += 5) {
            clock.millis = START + s * 1000L;
            restarted.add(new ResourceSample("worker", "worker-0", START, clock.millis, 60, 0, 200 * MIB, START));
        }
        Report.Growth threads = restarted.byRole().get("worker").threads();
        assertThat(threads.baseline()).as("the baseline from before the restart, not a new one").isEqualTo(40);
        assertThat(restarted.reasons()).containsExactly("threads of worker-0 grew 50% (40 -> 60), limit 5%");
    }

    @Test
    void aFaultAtTheEndOfAShortLifeIsNotGrowthALeakRaisesTheFloor() {
        // The hour-long chaos soak: a worker at 40 threads, reconnecting (45) in its last 40 s when it was killed.
        for (int s = 0; s <= 300; s += 5) {
            sample("worker-3", START, START + s * 1000L, s < 260 ? 40 : 45, START, Map.of());
        }
        assertThat(growth.byRole().get("worker").threads().end()).isEqualTo(40);
        assertThat(growth.reasons()).isEmpty();
        // the same +5 held for the last two minutes is growth
        for (int s = 0; s <= 300; s += 5) {
            sample("worker-4", START, START + s * 1000L, s < 170 ? 40 : 45, START, Map.of());
        }
        assertThat(growth.reasons()).containsExactly("threads of worker-4 grew 12.5% (40 -> 45), limit 5%");
    }
}

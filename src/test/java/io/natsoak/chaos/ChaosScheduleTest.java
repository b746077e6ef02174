package io.natsoak.chaos;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The schedule: the same seed gives the same faults, weights are honoured exactly per round, delays stay in range. */
class ChaosScheduleTest {

    private static final Duration MIN = Duration.ofSeconds(5);
    private static final Duration MAX = Duration.ofSeconds(20);

    private static Map<ChaosEvent, Integer> weights() {
        Map<ChaosEvent, Integer> w = new EnumMap<>(ChaosEvent.class);
        w.put(ChaosEvent.WORKER_CRASH, 5);
        w.put(ChaosEvent.SCALE_UP, 1);
        w.put(ChaosEvent.SCALE_DOWN, 1);
        w.put(ChaosEvent.NATS_NODE_KILL, 2);
        w.put(ChaosEvent.LEAK_CANARY, 0);
        return w;
    }

    private static List<ChaosSchedule.Step> draw(ChaosSchedule s, int n) {
        List<ChaosSchedule.Step> steps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            steps.add(s.next().orElseThrow());
        }
        return steps;
    }

    @Test
    void theSameSeedGivesTheSameSequenceOfEventsDelaysAndChoices() {
        ChaosSchedule a = new ChaosSchedule(42, weights(), MIN, MAX);
        ChaosSchedule b = new ChaosSchedule(42, weights(), MIN, MAX);
        assertThat(draw(a, 200)).isEqualTo(draw(b, 200));
        List<Integer> choicesA = new ArrayList<>();
        List<Integer> choicesB = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            choicesA.add(a.choose(7));
            choicesB.add(b.choose(7));
        }
        assertThat(choicesA).isEqualTo(choicesB);
    }

    @Test
    void anotherSeedGivesAnotherSequence() {
        assertThat(draw(new ChaosSchedule(42, weights(), MIN, MAX), 50)).isNotEqualTo(draw(new ChaosSchedule(43, weights(), MIN, MAX), 50));
    }

    @Test
    void choicesMadeWhileInjectingDoNotShiftTheSequence() {
        ChaosSchedule quiet = new ChaosSchedule(7, weights(), MIN, MAX);
        ChaosSchedule busy = new ChaosSchedule(7, weights(), MIN, MAX);
        List<ChaosSchedule.Step> expected = draw(quiet, 30);
        List<ChaosSchedule.Step> got = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            got.add(busy.next().orElseThrow());
            busy.choose(3 + i); // a different cluster: different numbers of candidates
        }
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void everyRoundHoldsEachEventExactlyAsOftenAsItsWeight() {
        ChaosSchedule s = new ChaosSchedule(1234, weights(), MIN, MAX);
        assertThat(s.roundSize()).isEqualTo(9);
        for (int round = 0; round < 20; round++) {
            Map<ChaosEvent, Integer> counts = new EnumMap<>(ChaosEvent.class);
            for (ChaosSchedule.Step step : draw(s, s.roundSize())) {
                counts.merge(step.event(), 1, Integer::sum);
            }
            Map<ChaosEvent, Integer> expected = new EnumMap<>(weights());
            expected.values().removeIf(w -> w == 0);
            assertThat(counts).as("round " + round).isEqualTo(expected);
        }
    }

    @Test
    void aSkippedEventIsTriedAgainLaterInTheRoundButOnlyTwice() {
        ChaosSchedule s = new ChaosSchedule(1234, weights(), MIN, MAX);
        ChaosSchedule.Step first = s.next().orElseThrow();
        s.skipped(first.event());
        List<ChaosEvent> rest = draw(s, s.roundSize()).stream().map(ChaosSchedule.Step::event).toList();
        assertThat(rest.get(rest.size() - 1)).as("retried at the end of the round").isEqualTo(first.event());

        ChaosSchedule never = new ChaosSchedule(1234, weights(), MIN, MAX);
        int retries = 0;
        for (int i = 0; i < never.roundSize() + ChaosSchedule.RETRIES_PER_ROUND; i++) {
            ChaosSchedule.Step step = never.next().orElseThrow();
            if (step.event() == ChaosEvent.NATS_NODE_KILL) {
                never.skipped(step.event()); // a cluster that is never healthy enough
                retries++;
            }
        }
        int weight = weights().get(ChaosEvent.NATS_NODE_KILL);
        assertThat(retries).as("drawn %d time(s) by weight, then retried at most twice in the round", weight)
                .isEqualTo(weight + ChaosSchedule.RETRIES_PER_ROUND);
    }

    @Test
    void delaysAreWithinTheIntervalAndStepsAreNumbered() {
        ChaosSchedule s = new ChaosSchedule(99, weights(), MIN, MAX);
        List<ChaosSchedule.Step> steps = draw(s, 500);
        for (int i = 0; i < steps.size(); i++) {
            assertThat(steps.get(i).number()).isEqualTo(i + 1);
            assertThat(steps.get(i).delay()).isBetween(MIN, MAX);
        }
        assertThat(steps.stream().map(ChaosSchedule.Step::delay).distinct().count()).as("not a constant delay").isGreaterThan(100);
        ChaosSchedule fixed = new ChaosSchedule(99, weights(), MIN, MIN);
        assertThat(draw(fixed, 20)).allSatisfy(step -> assertThat(step.delay()).isEqualTo(MIN));
    }

    @Test
    void zeroWeightsScheduleNothing() {
        assertThat(new ChaosSchedule(1, Map.of(), MIN, MAX).next()).isEmpty();
        assertThat(draw(new ChaosSchedule(1, weights(), MIN, MAX), 300)).noneMatch(s -> s.event() == ChaosEvent.LEAK_CANARY);
    }

    @Test
    void disconnectSecondsStayWithinBounds() {
        ChaosSchedule s = new ChaosSchedule(5, weights(), MIN, MAX);
        for (int i = 0; i < 200; i++) {
            assertThat(s.chooseSeconds(Duration.ofSeconds(5), Duration.ofSeconds(30))).isBetween(5, 30);
        }
    }
}

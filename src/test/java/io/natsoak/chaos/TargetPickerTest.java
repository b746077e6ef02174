package io.natsoak.chaos;

import io.natsoak.chaos.FaultCatalogueTest.RecordingBackend;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Target picking returns its choice and its reason, or why nothing may be hit. */
class TargetPickerTest {

    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final Safety safety = new Safety(Duration.ofMinutes(1), 1, clock);

    private TargetPicker picker(RecordingBackend backend) {
        Map<ChaosEvent, Integer> w = new EnumMap<>(ChaosEvent.class);
        w.put(ChaosEvent.WORKER_CRASH, 1);
        return new TargetPicker(backend, safety, new ChaosSchedule(7, w, Duration.ZERO, Duration.ZERO), null, null, clock, true);
    }

    private static Target target(String name, Target.Kind kind, boolean ready, Duration age) {
        return new Target(name, kind, ready, NOW.minus(age));
    }

    @Test
    void aChoiceNamesItsTargetAndHowManyItWasChosenAmong() throws Exception {
        RecordingBackend backend = new RecordingBackend(FaultCatalogueTest.worker("worker-0"), FaultCatalogueTest.worker("worker-1"),
                target("worker-2", Target.Kind.WORKER, false, Duration.ofHours(1)));
        Pick pick = picker(backend).any(Target.Kind.WORKER);
        assertThat(pick.found()).isTrue();
        assertThat(pick.target().name()).isIn("worker-0", "worker-1");
        assertThat(pick.reason()).isEqualTo("chosen among 2 eligible workers");
    }

    @Test
    void noChoiceSaysWhichRuleHeldTheLastCandidateBack() throws Exception {
        RecordingBackend backend = new RecordingBackend(target("worker-0", Target.Kind.WORKER, true, Duration.ofSeconds(10)));
        Pick pick = picker(backend).any(Target.Kind.WORKER);
        assertThat(pick.found()).isFalse();
        assertThat(pick.skipped()).isEqualTo(new FaultInjector.Result(Outcome.SKIPPED, "", "worker-0 is younger than the minimum age 60 s"));
    }

    @Test
    void noTargetAtAllIsSaidSo() throws Exception {
        assertThat(picker(new RecordingBackend()).any(Target.Kind.PRODUCER).reason()).isEqualTo("no target matches");
    }

    @Test
    void aRemovalKeepsTheMinimumOfReadySiblings() throws Exception {
        RecordingBackend one = new RecordingBackend(FaultCatalogueTest.worker("worker-0"));
        Pick pick = picker(one).removable(Target.Kind.WORKER);
        assertThat(pick.found()).isFalse();
        assertThat(pick.reason()).isEqualTo("taking worker-0 would leave fewer than 1 ready workers");

        safety.add("worker-1", ChaosEvent.WORKER_CRASH, now -> false);
        RecordingBackend two = new RecordingBackend(FaultCatalogueTest.worker("worker-0"), FaultCatalogueTest.worker("worker-1"));
        Pick other = picker(two).removable(Target.Kind.WORKER);
        assertThat(other.target().name()).as("the worker with a fault in flight is spared").isEqualTo("worker-0");
    }

    @Test
    void aNodeKillNeedsThreeServersAllReady() throws Exception {
        Pick two = picker(new RecordingBackend(target("nats-0", Target.Kind.NATS, true, Duration.ofHours(1)),
                target("nats-1", Target.Kind.NATS, true, Duration.ofHours(1)))).natsNode();
        assertThat(two.skipped()).isEqualTo(new FaultInjector.Result(Outcome.SKIPPED, "",
                "2 NATS servers: killing one would cost quorum (needs at least 3)"));

        Pick unready = picker(new RecordingBackend(target("nats-0", Target.Kind.NATS, true, Duration.ofHours(1)),
                target("nats-1", Target.Kind.NATS, false, Duration.ofHours(1)),
                target("nats-2", Target.Kind.NATS, true, Duration.ofHours(1)))).natsNode();
        assertThat(unready.skipped()).as("the held-back node is named in the chaos log").isEqualTo(new FaultInjector.Result(Outcome.SKIPPED,
                "nats-1", "the cluster is not healthy: nats-1 is not ready"));
    }

    @Test
    void aSeedReproducesTheChoice() throws Exception {
        RecordingBackend backend = new RecordingBackend(FaultCatalogueTest.worker("worker-0"), FaultCatalogueTest.worker("worker-1"),
                FaultCatalogueTest.worker("worker-2"), FaultCatalogueTest.worker("worker-3"));
        TargetPicker a = picker(backend);
        TargetPicker b = picker(backend);
        for (int i = 0; i < 10; i++) {
            assertThat(a.any(Target.Kind.WORKER).target()).isEqualTo(b.any(Target.Kind.WORKER).target());
        }
    }
}

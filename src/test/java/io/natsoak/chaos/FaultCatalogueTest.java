package io.natsoak.chaos;

import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The fault catalogue and its dispatcher, against a recording backend: no NATS, no Kubernetes. */
class FaultCatalogueTest {

    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final Instant OLD = NOW.minus(Duration.ofMinutes(10));
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    /** The chaos log, metrics and report name events by these; they must never change. */
    @Test
    void everyEventHasItsOwnFaultUnderTheSameWireName() {
        assertThat(Arrays.stream(ChaosEvent.values()).map(ChaosEvent::wire)).containsExactly("worker_crash", "worker_graceful_stop",
                "worker_restart", "scale_up", "scale_down", "leader_failure", "producer_crash", "network_disconnect", "nats_node_kill",
                "verifier_restart", "leak_canary", "verifier_crash");
        for (ChaosEvent e : ChaosEvent.values()) {
            assertThat(Fault.of(e).event()).as(e.wire()).isEqualTo(e);
        }
    }

    @Test
    void onlyTheLeakCanaryHasARevert() throws Exception {
        List<ChaosEvent> reversible = new ArrayList<>();
        for (ChaosEvent e : ChaosEvent.values()) {
            if (Fault.of(e).getClass().getMethod("revert", FaultContext.class).getDeclaringClass() != Fault.class) {
                reversible.add(e);
            }
        }
        assertThat(reversible).containsExactly(ChaosEvent.LEAK_CANARY);
    }

    @Test
    void aDryRunCrashNamesItsVictimAndChangesNothing() {
        RecordingBackend backend = new RecordingBackend(worker("worker-0"), worker("worker-1"));
        FaultInjector.Result r = injector(config("natsoak.chaos.dry-run", "true"), backend).inject(ChaosEvent.WORKER_CRASH);
        assertThat(r.outcome()).isEqualTo(Outcome.DRY_RUN);
        assertThat(r.target()).startsWith("worker-");
        assertThat(r.detail()).isEqualTo("would be killed (grace 0)");
        assertThat(backend.actions).isEmpty();
    }

    @Test
    void aCrashKillsOneWorkerAndHoldsItInFlightUntilReplaced() {
        RecordingBackend backend = new RecordingBackend(worker("worker-0"), worker("worker-1"));
        Safety safety = new Safety(Duration.ofMinutes(1), 1, clock);
        FaultInjector injector = injector(config(), backend, safety);

        FaultInjector.Result r = injector.inject(ChaosEvent.WORKER_GRACEFUL_STOP);

        assertThat(r.outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(r.detail()).isEqualTo("stopped with its grace period");
        assertThat(backend.actions).containsExactly("stop " + r.target());
        assertThat(safety.inFlight(r.target())).isTrue();
        FaultInjector.Result second = injector.inject(ChaosEvent.WORKER_CRASH);
        assertThat(second.outcome()).as("the other worker is the last ready one").isEqualTo(Outcome.SKIPPED);
    }

    @Test
    void aVerifierCrashKillsTheOnlyVerifierWithoutASiblingAndHoldsItInFlightUntilItIsBack() {
        RecordingBackend backend = new RecordingBackend(new Target("verifier", Target.Kind.VERIFIER, true, OLD), worker("worker-0"));
        Safety safety = new Safety(Duration.ofMinutes(1), 1, clock);
        FaultInjector injector = injector(config(), backend, safety);

        FaultInjector.Result r = injector.inject(ChaosEvent.VERIFIER_CRASH);

        assertThat(r.outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(r.target()).isEqualTo("verifier");
        assertThat(r.detail()).isEqualTo("killed (grace 0), resumes from its checkpoint");
        assertThat(backend.actions).containsExactly("crash verifier");
        assertThat(safety.inFlight("verifier")).isTrue();
        assertThat(injector.inject(ChaosEvent.VERIFIER_RESTART).outcome()).as("nothing else hits it meanwhile").isEqualTo(Outcome.SKIPPED);
    }

    @Test
    void aRefusalBecomesTheOutcomeRefused() {
        RecordingBackend backend = new RecordingBackend(worker("worker-0"), worker("worker-1"));
        backend.refuse = true;
        FaultInjector.Result r = injector(config(), backend).inject(ChaosEvent.WORKER_CRASH);
        assertThat(r.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(r.detail()).isEqualTo("blocked by a disruption budget");
    }

    @Test
    void aFailingBackendBecomesTheOutcomeFailedWithOneLine() {
        RecordingBackend backend = new RecordingBackend();
        backend.broken = true;
        FaultInjector.Result r = injector(config(), backend).inject(ChaosEvent.PRODUCER_CRASH);
        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.detail()).isEqualTo("API down");
    }

    @Test
    void staticAssignmentSkipsTheFaultsThatNeedAManager() {
        NatsoakConfig config = config("natsoak.worker.assignment", "static");
        RecordingBackend backend = new RecordingBackend(worker("worker-0"), worker("worker-1"));
        assertThat(injector(config, backend).inject(ChaosEvent.LEADER_FAILURE).detail())
                .isEqualTo("static worker assignment: there is no partition-manager leader");
        assertThat(injector(config, backend).inject(ChaosEvent.SCALE_UP).detail())
                .isEqualTo("static worker assignment: p mod count cannot follow a new worker count");
    }

    @Test
    void revertingWithNothingInjectedDoesNothing() {
        RecordingBackend backend = new RecordingBackend(worker("worker-0"));
        injector(config(), backend).revertAll();
        assertThat(backend.actions).isEmpty();
    }

    // ------------------------------------------------------------------------------------------ setup

    static NatsoakConfig config(String... extra) {
        Map<String, String> s = new HashMap<>(Map.of(
                "natsoak.role", "chaos",
                "natsoak.worker.assignment", "consistent-hash",
                "natsoak.chaos.enabled", "true",
                "natsoak.chaos.min-age", "1m",
                "natsoak.chaos.min-ready", "1",
                "natsoak.chaos.workers-min", "2",
                "natsoak.chaos.workers-max", "4"));
        for (int i = 0; i < extra.length; i += 2) {
            s.put(extra[i], extra[i + 1]);
        }
        return ConfigLoader.fromMap(s);
    }

    private FaultInjector injector(NatsoakConfig config, ChaosBackend backend) {
        return injector(config, backend, new Safety(config.chaos().minAge(), config.chaos().minReady(), clock));
    }

    private FaultInjector injector(NatsoakConfig config, ChaosBackend backend, Safety safety) {
        Map<ChaosEvent, Integer> w = new EnumMap<>(ChaosEvent.class);
        w.put(ChaosEvent.WORKER_CRASH, 1);
        return new FaultInjector(config, backend, null, null, null, safety, new ChaosSchedule(7, w, Duration.ZERO, Duration.ZERO),
                clock, null, null);
    }

    static Target worker(String name) {
        return new Target(name, Target.Kind.WORKER, true, OLD);
    }

    /** A backend that records what it was asked to do; a removed target is gone (nothing brings it back). */
    static final class RecordingBackend implements ChaosBackend {
        final List<Target> targets;
        final List<String> actions = new ArrayList<>();
        boolean refuse;
        boolean broken;

        RecordingBackend(Target... targets) {
            this.targets = new ArrayList<>(List.of(targets));
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public List<Target> targets(Target.Kind kind) throws Exception {
            if (broken) {
                throw new IllegalStateException("API down\nwith a second line");
            }
            return targets.stream().filter(t -> t.kind() == kind).toList();
        }

        @Override
        public void crash(Target target) throws Exception {
            act("crash " + target.name());
            targets.remove(target);
        }

        @Override
        public void stopGracefully(Target target) throws Exception {
            act("stop " + target.name());
            targets.remove(target);
        }

        @Override
        public int workerReplicas() {
            return (int) targets.stream().filter(t -> t.kind() == Target.Kind.WORKER).count();
        }

        @Override
        public void scaleWorkers(int replicas) throws Exception {
            act("scale " + replicas);
        }

        @Override
        public void killNatsNode(Target target) throws Exception {
            act("kill " + target.name());
        }

        private void act(String action) throws Refused {
            if (refuse) {
                throw new Refused("blocked by a disruption budget");
            }
            actions.add(action);
        }

        @Override
        public void close() {
        }
    }
}

package io.natsoak.chaos;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.natsoak.assign.PartitionManager;
import io.natsoak.assign.WeightedConsistentHashStrategy;
import io.natsoak.chaos.kubernetes.KubernetesBackend;
import io.natsoak.chaos.kubernetes.Permissions;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.config.WorkerAssignment;
import io.natsoak.control.ControlClient;
import io.natsoak.control.ControlReply;
import io.natsoak.control.ControlServer;
import io.natsoak.control.LeakCanary;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.model.ChaosSummary;
import io.natsoak.model.ResourceSample;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.RunClock;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.verifier.ChaosLogReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The chaos operator's NATS side against a real 3-node nats-server cluster, with the Kubernetes
 * backend on fabric8's CRUD mock server: the leader read from real partition managers' election
 * key, the node kill gated on the real cluster's health, the operator's whole loop (counter,
 * chaos log read back by the verifier's reader, Events), pause and resume through its control
 * subject, and enabled=false injecting nothing.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ChaosOperatorIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "soak";
    private static final Instant OLD = Instant.now().minus(Duration.ofHours(1));
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeEach
    void clean() {
        server.reset();
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
        closeAfter.clear();
    }

    private NatsoakConfig config(String run, String... extra) {
        Map<String, String> s = new HashMap<>(Map.of(
                "natsoak.role", "chaos",
                "natsoak.run-id", run,
                "natsoak.nats.urls", String.join(",", nats.urls()),
                "natsoak.duration", "0",
                "natsoak.worker.assignment", "consistent-hash",
                "natsoak.partitions.count", "12",
                "natsoak.chaos.enabled", "true",
                "natsoak.chaos.min-age", "1m",
                "natsoak.chaos.kubernetes.namespace", NS));
        for (int i = 0; i < extra.length; i += 2) {
            s.put(extra[i], extra[i + 1]);
        }
        return ConfigLoader.fromMap(s);
    }

    private KubernetesBackend backend(NatsoakConfig config) {
        KubernetesBackend b = new KubernetesBackend(config.chaos().kubernetes(),
                KubernetesBackend.client(client.getConfiguration(), Permissions.packaged(), null), null);
        closeAfter.add(b);
        return b;
    }

    private static void pod(String name, String component, Map<String, String> extraLabels) {
        Pod p = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NS)
                .addToLabels("app.kubernetes.io/part-of", "natsoak").addToLabels("app.kubernetes.io/component", component)
                .addToLabels(extraLabels).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("i").endContainer().endSpec()
                .withNewStatus().withStartTime(OLD.toString()).addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
                .build();
        client.pods().inNamespace(NS).resource(p).create();
    }

    private static List<String> pods() {
        return client.pods().inNamespace(NS).list().getItems().stream().map(p -> p.getMetadata().getName()).sorted().toList();
    }

    private Connection connection(String component, String instance) throws Exception {
        OwnedConnection c = OwnedConnection.open(config("x").nats(), component, instance, new SimpleMeterRegistry(), Duration.ofSeconds(30));
        closeAfter.add(c);
        return c.connection();
    }

    private FaultInjector injector(NatsoakConfig config, ChaosBackend backend, Connection nc) {
        Map<ChaosEvent, Integer> w = new EnumMap<>(ChaosEvent.class);
        w.put(ChaosEvent.WORKER_CRASH, 1);
        Names names = new Names(config.runId());
        return new FaultInjector(config, backend, new ControlClient(nc, new io.natsoak.control.ControlSender("chaos", "test"), ChaosOperator.CONTROL_RETRY), new LeaderLookup(nc, config.runId()),
                new NatsHealth(nc, names, 3), new Safety(config.chaos().minAge(), config.chaos().minReady(), Clock.systemUTC()),
                new ChaosSchedule(3, w, Duration.ZERO, Duration.ZERO), Clock.systemUTC(), null, null);
    }

    @Test
    void leaderFailureKillsThePodThatReallyHoldsTheElectionKey() throws Exception {
        String run = nats.uniqueName("LEAD");
        NatsoakConfig config = config(run);
        List<PartitionManager> managers = new ArrayList<>();
        for (String pod : List.of("worker-7d9-a", "worker-7d9-b", "worker-7d9-c")) {
            pod(pod, "worker", Map.of());
            // The worker's connection is named <instance>-worker, as WorkerService names it.
            Connection nc = connection("worker", pod);
            PartitionManager m = new PartitionManager(nc, run, 3, WorkerAssignment.settings(config), new WeightedConsistentHashStrategy(50, 1.3),
                    new PartitionManager.Listener() {
                        @Override
                        public void grant(long version, Set<Integer> partitions) {
                        }

                        @Override
                        public void revoke(long version, Set<Integer> partitions) {
                        }

                        @Override
                        public void fenced(Set<Integer> partitions) {
                        }
                    }, Clock.systemUTC(), new SimpleMeterRegistry());
            m.start();
            closeAfter.add(m::stop);
            managers.add(m);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> managers.stream().filter(PartitionManager::isLeader).count() == 1);
        int leaderIndex = 0;
        for (int i = 0; i < managers.size(); i++) {
            if (managers.get(i).isLeader()) {
                leaderIndex = i;
            }
        }
        String leaderPod = List.of("worker-7d9-a", "worker-7d9-b", "worker-7d9-c").get(leaderIndex);
        Connection chaos = connection("chaos", "chaos-0");
        assertThat(new LeaderLookup(chaos, run).leaderInstance()).contains(leaderPod);

        FaultInjector.Result r = injector(config, backend(config), chaos).inject(ChaosEvent.LEADER_FAILURE);
        assertThat(r.outcome()).as(r.detail()).isEqualTo(Outcome.INJECTED);
        assertThat(r.target()).isEqualTo(leaderPod);
        assertThat(pods()).doesNotContain(leaderPod).hasSize(2);
    }

    @Test
    void natsNodeKillWaitsForAHealthyCluster() throws Exception {
        String run = nats.uniqueName("NODE");
        NatsoakConfig config = config(run);
        for (int i = 0; i < 3; i++) {
            pod("nats-" + i, "nats", Map.of("app.kubernetes.io/name", "nats"));
        }
        Connection nc = connection("chaos", "chaos-0");
        new io.natsoak.nats.Provisioner(nc, new Names(run), config.nats()).ensureAllPatiently();
        NatsHealth health = new NatsHealth(nc, new Names(run), 3);
        await().atMost(Duration.ofSeconds(60)).until(() -> health.problem().isEmpty());

        // A real server down: its replicas go offline and the operator must not kill another one.
        nats.cluster().kill(2);
        try {
            // Unhealthy for a while, not for one poll: for about 3 s after the kill the dead
            // server's replicas can still report current (their last heartbeat is recent), and a
            // first poll that caught the election could be followed by a healthy-looking one.
            await().atMost(Duration.ofSeconds(60)).during(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(250))
                    .until(() -> health.problem().isPresent());
            FaultInjector.Result held = injector(config, backend(config), nc).inject(ChaosEvent.NATS_NODE_KILL);
            assertThat(held.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(held.detail()).contains("not healthy");
            assertThat(pods()).hasSize(3);
        } finally {
            nats.cluster().restart(2);
        }
        // Healthy for a while, not for one poll: a restarted server's replicas can report current
        // and then fall behind once more while it catches up (the CI saw "catching up" here).
        await().atMost(Duration.ofSeconds(90)).during(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(250))
                .until(() -> health.problem().isEmpty());
        FaultInjector injector = injector(config, backend(config), nc);
        FaultInjector.Result killed = injector.inject(ChaosEvent.NATS_NODE_KILL);
        assertThat(killed.outcome()).as(killed.detail()).isEqualTo(Outcome.INJECTED);
        assertThat(pods()).hasSize(2).doesNotContain(killed.target());

        // One at a time: the StatefulSet has not brought the server back yet.
        FaultInjector.Result second = injector.inject(ChaosEvent.NATS_NODE_KILL);
        assertThat(second.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(pods()).hasSize(2);
    }

    @Test
    void theOperatorRecordsEveryFaultAndPausesAndResumesThroughItsControlSubject() throws Exception {
        String run = nats.uniqueName("LOOP");
        NatsoakConfig config = config(run, "natsoak.chaos.interval-min", "100ms", "natsoak.chaos.interval-max", "200ms",
                "natsoak.chaos.min-age", "0s", "natsoak.chaos.seed", "77",
                "natsoak.chaos.weights.worker-graceful-stop", "0", "natsoak.chaos.weights.worker-restart", "0",
                "natsoak.chaos.weights.scale-up", "0", "natsoak.chaos.weights.scale-down", "0", "natsoak.chaos.weights.leader-failure", "0",
                "natsoak.chaos.weights.producer-crash", "0", "natsoak.chaos.weights.network-disconnect", "0",
                "natsoak.chaos.weights.nats-node-kill", "0", "natsoak.chaos.weights.verifier-restart", "0");
        for (int i = 0; i < 6; i++) {
            pod("worker-" + i, "worker", Map.of());
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ChaosOperator operator = new ChaosOperator(config, "chaos-0", backend(config), registry, Clock.systemUTC());
        operator.start();
        closeAfter.add(operator::stop);
        ControlServer control = new ControlServer(config, "chaos", "chaos-0", Map.of(operator.name(), operator), new LeakCanary(false), registry);
        control.start();
        closeAfter.add(control::stop);

        // Five workers may go (min-ready 1); the sixth crash is held back by the safety rule.
        await().atMost(Duration.ofSeconds(60)).until(() -> pods().size() == 1
                && registry.counter(MetricNames.CHAOS_EVENTS, "event", "worker_crash", "outcome", "skipped").count() >= 1);
        assertThat(registry.counter(MetricNames.CHAOS_EVENTS, "event", "worker_crash", "outcome", "injected").count()).isEqualTo(5);
        assertThat(client.v1().events().inNamespace(NS).list().getItems()).hasSize(5)
                .allSatisfy(e -> assertThat(e.getReason()).isEqualTo("NatsoakChaos"));

        // The verifier's reader sees the seed and every fault, in order.
        Connection nc = connection("verifier", "verifier");
        Dispatcher d = nc.createDispatcher();
        ChaosLogReader reader = new ChaosLogReader(new Names(run), config.nats());
        reader.start(nc, d);
        await().atMost(Duration.ofSeconds(30)).until(() -> reader.summary().byEvent().getOrDefault("worker_crash", Map.of())
                .getOrDefault("injected", 0L) == 5);
        ChaosSummary summary = reader.summary();
        assertThat(summary.seeds()).containsExactly(77L);
        assertThat(summary.faults().stream().map(ChaosSummary.Fault::step).toList())
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, summary.faults().size()).boxed().toList());

        // Pause through the control subject: the schedule stops; resume: it goes on.
        String subject = new Names(run).controlSubject("chaos", "chaos-0");
        assertThat(control(nc, subject, "{\"command\":\"stop\"}").detail()).containsEntry("chaos", "STOPPED");
        assertThat(registry.get(MetricNames.CHAOS_ACTIVE).gauge().value()).isZero();
        double before = total(registry);
        pod("worker-new", "worker", Map.of());
        pod("worker-new-2", "worker", Map.of());
        Thread.sleep(1000); // several intervals: nothing may happen while paused (a negative check, no timing asserted)
        assertThat(total(registry)).isEqualTo(before);
        assertThat(pods()).hasSize(3);

        assertThat(control(nc, subject, "{\"command\":\"start\"}").detail()).containsEntry("chaos", "RUNNING");
        await().atMost(Duration.ofSeconds(30)).until(() -> pods().size() == 1);
        assertThat(registry.get(MetricNames.CHAOS_ACTIVE).gauge().value()).isEqualTo(1.0);
        reader.stop(d);
    }

    /**
     * The leak canary through a worker's real control server and leak canary: its worker is in
     * flight while it leaks, and after the stop until its resource samples have shown the release
     * for a verifier's window; only then may another fault end that process. A canary that could not
     * be seen released before a timed run ends is not started.
     */
    @Test
    void theLeakCanaryIsStoppedAndSeenReleasedBeforeAnythingElseTouchesItsWorker() throws Exception {
        String run = nats.uniqueName("LEAK");
        NatsoakConfig config = config(run, "natsoak.chaos.leak-canary", "true", "natsoak.chaos.leak-duration", "1s",
                "natsoak.chaos.leak-threads-per-minute", "600", "natsoak.resources.sample-interval", "1s", "natsoak.chaos.min-ready", "0");
        Duration releaseSeen = Duration.ofSeconds(ResourceSample.END_SAMPLES + 1L); // sample intervals of 1 s
        pod("worker-a", "worker", Map.of());
        LeakCanary canary = new LeakCanary(true);
        closeAfter.add(canary::end);
        ControlServer worker = new ControlServer(config, "worker", "worker-a", Map.of(), canary, new SimpleMeterRegistry());
        worker.start();
        closeAfter.add(worker::stop);
        Connection nc = connection("chaos", "chaos-0");
        Names names = new Names(run);
        MovableClock clock = new MovableClock(Instant.now());
        Safety safety = new Safety(config.chaos().minAge(), config.chaos().minReady(), clock);
        OwnedExecutor.Scheduler timer = OwnedExecutor.scheduler("chaos", "schedule");
        closeAfter.add(timer::close);
        ChaosBackend backend = backend(config);
        java.util.function.Function<RunClock, FaultInjector> injector = runClock -> new FaultInjector(config, backend,
                new ControlClient(nc, new io.natsoak.control.ControlSender("chaos", "test"), ChaosOperator.CONTROL_RETRY), new LeaderLookup(nc, run), new NatsHealth(nc, names, 3), safety,
                new ChaosSchedule(5, Map.of(ChaosEvent.LEAK_CANARY, 1), Duration.ZERO, Duration.ZERO), clock, timer.executor(), runClock);

        // 1 s of leak and 6 s of samples do not fit in the 5 s left of the run.
        long now = clock.millis();
        FaultInjector.Result late = injector.apply(new RunClock(now - 60_000, now + 5_000)).inject(ChaosEvent.LEAK_CANARY);
        assertThat(late.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(late.detail()).contains("run ends before");
        assertThat(canary.leaking()).isFalse();

        FaultInjector chaos = injector.apply(null);
        FaultInjector.Result leak = chaos.inject(ChaosEvent.LEAK_CANARY);
        assertThat(leak.outcome()).as(leak.detail()).isEqualTo(Outcome.INJECTED);
        assertThat(leak.target()).isEqualTo("worker-a");
        assertThat(canary.leaking()).isTrue();
        FaultInjector.Result whileLeaking = chaos.inject(ChaosEvent.WORKER_CRASH);
        assertThat(whileLeaking.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(whileLeaking.detail()).contains("worker-a has a fault in flight");

        // The timer sends leak-stop after the leak's duration; wait for that task to finish.
        await().atMost(Duration.ofSeconds(60)).until(() -> !canary.leaking());
        timer.executor().submit(() -> { }).get(60, TimeUnit.SECONDS);
        assertThat(canary.leakedThreads()).isZero();
        // Released, but not yet for a window of samples (the clock has not moved): still in flight.
        FaultInjector.Result released = chaos.inject(ChaosEvent.WORKER_CRASH);
        assertThat(released.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(released.detail()).contains("worker-a has a fault in flight");
        assertThat(pods()).containsExactly("worker-a");

        clock.advance(releaseSeen);
        FaultInjector.Result crash = chaos.inject(ChaosEvent.WORKER_CRASH);
        assertThat(crash.outcome()).as(crash.detail()).isEqualTo(Outcome.INJECTED);
        assertThat(crash.target()).isEqualTo("worker-a");
        assertThat(pods()).isEmpty();
    }

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void disabledChaosInjectsNothing() throws Exception {
        String run = nats.uniqueName("OFF");
        NatsoakConfig config = config(run, "natsoak.chaos.enabled", "false", "natsoak.chaos.interval-min", "100ms",
                "natsoak.chaos.interval-max", "100ms", "natsoak.chaos.min-age", "0s");
        for (int i = 0; i < 3; i++) {
            pod("worker-" + i, "worker", Map.of());
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ChaosOperator operator = new ChaosOperator(config, "chaos-0", backend(config), registry, Clock.systemUTC());
        operator.start();
        closeAfter.add(operator::stop);
        Thread.sleep(1000); // ten intervals' worth (a negative check, no timing asserted)
        assertThat(total(registry)).isZero();
        assertThat(registry.get(MetricNames.CHAOS_ACTIVE).gauge().value()).isZero();
        assertThat(pods()).hasSize(3);
    }

    private static Names names(String run) {
        return new Names(run);
    }

    private static double total(SimpleMeterRegistry registry) {
        return registry.find(MetricNames.CHAOS_EVENTS).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static ControlReply control(Connection nc, String subject, String json) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                io.nats.client.Message m = nc.request(io.nats.client.impl.NatsMessage.builder().subject(subject)
                        .headers(new io.nats.client.impl.Headers().put(io.natsoak.control.ControlSender.HEADER, "chaos/test"))
                        .data(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)).build()).get(30, TimeUnit.SECONDS);
                return io.natsoak.model.Json.read(m.getData(), ControlReply.class);
            } catch (java.util.concurrent.CancellationException | java.util.concurrent.ExecutionException e) {
                if (attempt > 20) {
                    throw e;
                }
                Thread.sleep(250); // no responders yet: the subscription is still reaching the other nodes
            }
        }
    }
}

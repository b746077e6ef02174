package io.natsoak.chaos;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.natsoak.chaos.kubernetes.KubernetesBackend;
import io.natsoak.chaos.kubernetes.Permissions;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.model.ChaosLogEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

/**
 * The Kubernetes backend against fabric8's mock API server in CRUD mode: every pod and
 * Deployment event and every safety rule. The mock runs no controllers: pods keep the readiness
 * and start time they are created with, and a deleted pod is simply gone. Every request the
 * operator sends passes the packaged permission list; the last test checks each one against it.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KubernetesChaosTest {

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "soak";
    private static final String PART_OF = "app.kubernetes.io/part-of";
    private static final String COMPONENT = "app.kubernetes.io/component";
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final Instant OLD = NOW.minus(Duration.ofMinutes(10));

    private final Clock clock = Clock.fixed(NOW, java.time.ZoneOffset.UTC);
    private final List<KubernetesBackend> backends = new ArrayList<>();

    @BeforeEach
    void clean() throws InterruptedException {
        server.clearExpectations();
        server.reset();
        drainRequests();
    }

    @AfterEach
    void close() {
        backends.forEach(KubernetesBackend::close);
    }

    // ------------------------------------------------------------------------------------------ setup

    private static NatsoakConfig config(String... extra) {
        Map<String, String> s = new HashMap<>(Map.of(
                "natsoak.role", "chaos",
                "natsoak.worker.assignment", "consistent-hash",
                "natsoak.chaos.enabled", "true",
                "natsoak.chaos.min-age", "1m",
                "natsoak.chaos.min-ready", "1",
                "natsoak.chaos.workers-min", "2",
                "natsoak.chaos.workers-max", "4",
                "natsoak.chaos.kubernetes.namespace", NS,
                "natsoak.chaos.kubernetes.selector", PART_OF + "=natsoak"));
        for (int i = 0; i < extra.length; i += 2) {
            s.put(extra[i], extra[i + 1]);
        }
        return ConfigLoader.fromMap(s);
    }

    private KubernetesBackend backend(NatsoakConfig config, Permissions permissions) {
        KubernetesBackend b = new KubernetesBackend(config.chaos().kubernetes(),
                KubernetesBackend.client(client.getConfiguration(), permissions, null), null);
        backends.add(b);
        return b;
    }

    /** Injector without the NATS side: these events need none of it. */
    private FaultInjector injector(NatsoakConfig config, ChaosBackend backend) {
        return injector(config, backend, new Safety(config.chaos().minAge(), config.chaos().minReady(), clock));
    }

    private FaultInjector injector(NatsoakConfig config, ChaosBackend backend, Safety safety) {
        Map<ChaosEvent, Integer> w = new EnumMap<>(ChaosEvent.class);
        w.put(ChaosEvent.WORKER_CRASH, 1);
        return new FaultInjector(config, backend, null, null, null, safety, new ChaosSchedule(7, w, Duration.ZERO, Duration.ZERO),
                clock, null, null);
    }

    private static Pod pod(String namespace, String name, String component, boolean ready, Instant started, String partOf) {
        Pod p = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels(PART_OF, partOf).addToLabels(COMPONENT, component).endMetadata()
                .withNewSpec().addNewContainer().withName("natsoak").withImage("natsoak").endContainer().endSpec()
                .withNewStatus().withStartTime(started.toString())
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus()
                .build();
        return client.pods().inNamespace(namespace).resource(p).create();
    }

    private static Pod worker(String name) {
        return pod(NS, name, "worker", true, OLD, "natsoak");
    }

    private static Deployment workerDeployment(int replicas) {
        return client.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
                .withNewMetadata().withName("natsoak-worker").withNamespace(NS).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().addToMatchLabels(COMPONENT, "worker").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels(COMPONENT, "worker").endMetadata()
                .withNewSpec().addNewContainer().withName("natsoak").withImage("natsoak").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
    }

    private static List<String> podNames() {
        return client.pods().inNamespace(NS).list().getItems().stream().map(p -> p.getMetadata().getName()).sorted().toList();
    }

    private static List<RecordedRequest> drainRequests() throws InterruptedException {
        List<RecordedRequest> out = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
            out.add(r);
        }
        return out;
    }

    /** Requests that would change something. */
    private static List<String> mutations(List<RecordedRequest> requests) {
        return requests.stream().filter(r -> !r.getMethod().equals("GET")).map(r -> r.getMethod() + " " + r.getPath()).toList();
    }

    /**
     * The CRUD mock does not implement the Eviction subresource (it takes the POST for a second
     * pod of the same name), so the API server's answer is given for these paths: 201 evicted, or
     * 429 when a PodDisruptionBudget allows no disruption. Everything else stays CRUD.
     */
    private static void evictionAnswers(int code, String... pods) {
        for (String pod : pods) {
            server.expect().post().withPath("/api/v1/namespaces/" + NS + "/pods/" + pod + "/eviction")
                    .andReturn(code, code == 201 ? "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\",\"code\":201}"
                            : "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"TooManyRequests\",\"code\":429}")
                    .always();
        }
    }

    // ------------------------------------------------------------------------------------------ targets

    @Test
    void targetsAreThePodsOfTheNamespaceSelectorAndComponentOnly() throws Exception {
        worker("worker-a");
        pod(NS, "worker-other-release", "worker", true, OLD, "someone-else");
        pod("elsewhere", "worker-b", "worker", true, OLD, "natsoak");
        pod(NS, "producer-0", "producer", true, OLD, "natsoak");
        KubernetesBackend backend = backend(config(), Permissions.packaged());
        assertThat(backend.targets(Target.Kind.WORKER)).extracting(Target::name).containsExactly("worker-a");
        assertThat(backend.targets(Target.Kind.PRODUCER)).extracting(Target::name).containsExactly("producer-0");
        Target t = backend.targets(Target.Kind.WORKER).get(0);
        assertThat(t.ready()).isTrue();
        assertThat(t.startedAt()).isEqualTo(OLD);
    }

    // ------------------------------------------------------------------------------------------ events

    @Test
    void workerCrashDeletesOneSelectedWorkerPodAndNothingElse() throws Exception {
        worker("worker-a");
        worker("worker-b");
        pod("elsewhere", "worker-c", "worker", true, OLD, "natsoak");
        NatsoakConfig config = config();
        FaultInjector.Result r = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_CRASH);
        assertThat(r.outcome()).as(r.detail()).isEqualTo(Outcome.INJECTED);
        assertThat(podNames()).hasSize(1).doesNotContain(r.target());
        assertThat(client.pods().inNamespace("elsewhere").withName("worker-c").get()).isNotNull();
        List<RecordedRequest> requests = drainRequests();
        assertThat(requests).anySatisfy(req -> {
            assertThat(req.getMethod()).isEqualTo("DELETE");
            assertThat(req.getPath()).isEqualTo("/api/v1/namespaces/soak/pods/" + r.target());
            assertThat(req.getBody().readUtf8()).contains("\"gracePeriodSeconds\":0");
        });
    }

    @Test
    void gracefulStopDeletesWithThePodsOwnGracePeriod() throws Exception {
        worker("worker-a");
        worker("worker-b");
        NatsoakConfig config = config();
        FaultInjector.Result r = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_GRACEFUL_STOP);
        assertThat(r.outcome()).as(r.detail()).isEqualTo(Outcome.INJECTED);
        assertThat(podNames()).hasSize(1).doesNotContain(r.target());
        RecordedRequest delete = drainRequests().stream().filter(q -> q.getMethod().equals("DELETE")).findFirst().orElseThrow();
        assertThat(delete.getBody().readUtf8()).doesNotContain("gracePeriodSeconds");
    }

    @Test
    void producerCrashDeletesAProducerPod() throws Exception {
        worker("worker-a");
        pod(NS, "producer-0", "producer", true, OLD, "natsoak");
        pod(NS, "producer-1", "producer", true, OLD, "natsoak");
        NatsoakConfig config = config();
        FaultInjector.Result r = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.PRODUCER_CRASH);
        assertThat(r.outcome()).as(r.detail()).isEqualTo(Outcome.INJECTED);
        assertThat(r.target()).startsWith("producer-");
        assertThat(podNames()).containsExactlyInAnyOrder("worker-a", r.target().equals("producer-0") ? "producer-1" : "producer-0");
    }

    @Test
    void scaleUpAndDownResizeTheWorkerDeploymentWithinItsBounds() throws Exception {
        workerDeployment(3);
        worker("worker-a");
        worker("worker-b");
        worker("worker-c");
        NatsoakConfig config = config();
        KubernetesBackend backend = backend(config, Permissions.packaged());
        FaultInjector up = injector(config, backend);
        assertThat(up.inject(ChaosEvent.SCALE_UP).outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas()).isEqualTo(4);

        // Never two faults in flight on one target: 4 replicas asked, 3 pods ready, the Deployment has not settled.
        FaultInjector.Result again = up.inject(ChaosEvent.SCALE_DOWN);
        assertThat(again.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(again.detail()).contains("not settled");

        worker("worker-d"); // the ReplicaSet controller's work, which the mock does not do
        FaultInjector.Result atMax = up.inject(ChaosEvent.SCALE_UP);
        assertThat(atMax.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(atMax.detail()).contains("maximum");

        assertThat(up.inject(ChaosEvent.SCALE_DOWN).outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas()).isEqualTo(3);
        client.pods().inNamespace(NS).withName("worker-d").delete();
        assertThat(up.inject(ChaosEvent.SCALE_DOWN).outcome()).isEqualTo(Outcome.INJECTED);
        client.pods().inNamespace(NS).withName("worker-c").delete();
        FaultInjector.Result atMin = up.inject(ChaosEvent.SCALE_DOWN);
        assertThat(atMin.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(atMin.detail()).contains("minimum");
        assertThat(client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas()).isEqualTo(2);
    }

    /**
     * The ReplicaSet, not the operator, chooses which worker a scale-down removes, so it waits while
     * any worker has a fault in flight (here a leak canary not yet seen released, as the injector
     * records it): otherwise it could end that worker on the leak's samples.
     */
    @Test
    void scaleDownWaitsWhileAWorkerHasAFaultInFlight() throws Exception {
        workerDeployment(3);
        worker("worker-a");
        worker("worker-b");
        worker("worker-c");
        NatsoakConfig config = config();
        Safety safety = new Safety(config.chaos().minAge(), config.chaos().minReady(), clock);
        FaultInjector injector = injector(config, backend(config, Permissions.packaged()), safety);
        safety.add("worker-b", ChaosEvent.LEAK_CANARY, now -> false);

        FaultInjector.Result held = injector.inject(ChaosEvent.SCALE_DOWN);
        assertThat(held.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(held.detail()).contains("worker-b has a fault in flight");
        assertThat(client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas()).isEqualTo(3);

        safety.settle("worker-b");
        assertThat(injector.inject(ChaosEvent.SCALE_DOWN).outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas()).isEqualTo(2);
    }

    @Test
    void scalingIsSkippedWithStaticAssignment() throws Exception {
        workerDeployment(3);
        NatsoakConfig config = config("natsoak.worker.assignment", "static");
        FaultInjector.Result r = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.SCALE_UP);
        assertThat(r.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void anEventIsRecordedOnTheVictimPod() throws Exception {
        worker("worker-a");
        KubernetesBackend backend = backend(config(), Permissions.packaged());
        backend.recordOnVictim(new Target("worker-a", Target.Kind.WORKER, true, OLD),
                new ChaosLogEntry(NOW.toEpochMilli(), 42, 3, "kubernetes", "worker_crash", "worker-a", "injected", "killed (grace 0)"));
        List<Event> events = client.v1().events().inNamespace(NS).list().getItems();
        assertThat(events).hasSize(1);
        Event e = events.get(0);
        assertThat(e.getInvolvedObject().getKind()).isEqualTo("Pod");
        assertThat(e.getInvolvedObject().getName()).isEqualTo("worker-a");
        assertThat(e.getReason()).isEqualTo("NatsoakChaos");
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getMessage()).contains("worker_crash", "injected", "seed 42");
    }

    // ------------------------------------------------------------------------------------------ safety rules

    @Test
    void dryRunDecidesButChangesNothing() throws Exception {
        workerDeployment(3);
        worker("worker-a");
        worker("worker-b");
        pod(NS, "producer-0", "producer", true, OLD, "natsoak");
        pod(NS, "producer-1", "producer", true, OLD, "natsoak");
        NatsoakConfig config = config("natsoak.chaos.dry-run", "true");
        FaultInjector injector = injector(config, backend(config, Permissions.packaged()));
        drainRequests();
        for (ChaosEvent e : List.of(ChaosEvent.WORKER_CRASH, ChaosEvent.WORKER_GRACEFUL_STOP, ChaosEvent.PRODUCER_CRASH, ChaosEvent.SCALE_UP,
                ChaosEvent.SCALE_DOWN)) {
            FaultInjector.Result r = injector.inject(e);
            assertThat(r.outcome()).as(e + ": " + r.detail()).isEqualTo(Outcome.DRY_RUN);
        }
        assertThat(mutations(drainRequests())).as("nothing but reads").isEmpty();
        assertThat(podNames()).containsExactly("producer-0", "producer-1", "worker-a", "worker-b");
        assertThat(client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void podsYoungerThanTheMinimumAgeAreLeftAlone() throws Exception {
        pod(NS, "worker-young", "worker", true, NOW.minusSeconds(30), "natsoak");
        pod(NS, "worker-young-2", "worker", true, NOW.minusSeconds(5), "natsoak");
        NatsoakConfig config = config();
        FaultInjector.Result r = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_CRASH);
        assertThat(r.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(r.detail()).contains("minimum age");
        assertThat(podNames()).hasSize(2);

        worker("worker-old");
        worker("worker-old-2");
        FaultInjector.Result old = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_CRASH);
        assertThat(old.outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(old.target()).startsWith("worker-old");
    }

    @Test
    void neverBelowTheMinimumOfReadySiblings() throws Exception {
        worker("worker-a");
        worker("worker-b");
        pod(NS, "worker-starting", "worker", false, OLD, "natsoak");
        NatsoakConfig config = config("natsoak.chaos.min-ready", "2");
        FaultInjector.Result r = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_CRASH);
        assertThat(r.outcome()).isEqualTo(Outcome.SKIPPED);
        assertThat(r.detail()).contains("fewer than 2 ready");
        assertThat(podNames()).hasSize(3);

        worker("worker-c");
        FaultInjector.Result ok = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_CRASH);
        assertThat(ok.outcome()).isEqualTo(Outcome.INJECTED);
        assertThat(ok.target()).as("a pod that is not ready is never the victim").isNotEqualTo("worker-starting");
    }

    @Test
    void evictModeUsesTheEvictionApiAndHonoursPodDisruptionBudgets() throws Exception {
        worker("worker-a");
        worker("worker-b");
        PodDisruptionBudget pdb = client.policy().v1().podDisruptionBudget().inNamespace(NS).resource(new PodDisruptionBudgetBuilder()
                .withNewMetadata().withName("natsoak-worker").withNamespace(NS).endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels(COMPONENT, "worker").endSelector()
                .withNewMinAvailable(2).endSpec()
                .withNewStatus().withDisruptionsAllowed(0).withCurrentHealthy(2).withDesiredHealthy(2).withExpectedPods(2).endStatus()
                .build()).create();
        NatsoakConfig config = config("natsoak.chaos.kubernetes.evict", "true");
        drainRequests();
        FaultInjector.Result refused = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_CRASH);
        assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(refused.detail()).contains("PodDisruptionBudget natsoak-worker");
        assertThat(podNames()).hasSize(2);
        assertThat(mutations(drainRequests())).isEmpty();

        pdb.getStatus().setDisruptionsAllowed(1);
        client.policy().v1().podDisruptionBudget().inNamespace(NS).resource(pdb).updateStatus();
        evictionAnswers(201, "worker-a", "worker-b");
        drainRequests();
        FaultInjector.Result evicted = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_CRASH);
        assertThat(evicted.outcome()).as(evicted.detail()).isEqualTo(Outcome.INJECTED);
        RecordedRequest post = drainRequests().stream().filter(r -> !r.getMethod().equals("GET")).findFirst().orElseThrow();
        assertThat(post.getMethod() + " " + post.getPath()).isEqualTo("POST /api/v1/namespaces/soak/pods/" + evicted.target() + "/eviction");
        assertThat(post.getBody().readUtf8()).as("a crash evicts with grace 0").contains("\"gracePeriodSeconds\":0");
    }

    @Test
    void anEvictionTheApiServerRefusesIsRecordedAsRefused() throws Exception {
        worker("worker-a");
        worker("worker-b");
        evictionAnswers(429, "worker-a", "worker-b");
        NatsoakConfig config = config("natsoak.chaos.kubernetes.evict", "true");
        FaultInjector.Result r = injector(config, backend(config, Permissions.packaged())).inject(ChaosEvent.WORKER_GRACEFUL_STOP);
        assertThat(r.outcome()).as(r.detail()).isEqualTo(Outcome.REFUSED);
        assertThat(r.detail()).contains("refused to evict");
        assertThat(podNames()).hasSize(2);
    }

    // ------------------------------------------------------------------------------------------ permissions

    @Test
    void aCallOutsideThePermissionListIsRefusedBeforeItIsSent() throws Exception {
        worker("worker-a");
        worker("worker-b");
        Permissions readOnly = Permissions.of(Set.of(new Permissions.Grant("", "pods", "get"), new Permissions.Grant("", "pods", "list")));
        NatsoakConfig config = config();
        drainRequests();
        FaultInjector.Result r = injector(config, backend(config, readOnly)).inject(ChaosEvent.WORKER_CRASH);
        assertThat(r.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(r.detail()).contains("delete pods", "chaos-permissions.yaml");
        assertThat(mutations(drainRequests())).isEmpty();
        assertThat(podNames()).hasSize(2);
    }

    @Test
    void everyCallTheBackendMakesIsInThePackagedPermissionList() throws Exception {
        workerDeployment(3);
        worker("worker-a");
        worker("worker-b");
        worker("worker-c");
        pod(NS, "producer-0", "producer", true, OLD, "natsoak");
        pod(NS, "producer-1", "producer", true, OLD, "natsoak");
        natsPod();
        client.policy().v1().podDisruptionBudget().inNamespace(NS).resource(new PodDisruptionBudgetBuilder()
                .withNewMetadata().withName("all").withNamespace(NS).endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels(PART_OF, "natsoak").endSelector().withNewMinAvailable(1).endSpec()
                .withNewStatus().withDisruptionsAllowed(5).endStatus().build()).create();
        drainRequests(); // the test's own setup, through the unguarded client

        evictionAnswers(201, "worker-a", "worker-b", "worker-c", "worker-xfalse", "producer-0", "producer-1", "producer-xfalse", "nats-0");
        Permissions packaged = Permissions.packaged();
        List<RecordedRequest> operator = new ArrayList<>();
        for (String evict : List.of("false", "true")) {
            NatsoakConfig config = config("natsoak.chaos.kubernetes.evict", evict);
            KubernetesBackend backend = backend(config, packaged);
            FaultInjector injector = injector(config, backend);
            for (ChaosEvent e : List.of(ChaosEvent.WORKER_CRASH, ChaosEvent.PRODUCER_CRASH, ChaosEvent.SCALE_UP)) {
                FaultInjector.Result r = injector.inject(e);
                assertThat(r.outcome()).as(e + " evict=" + evict + ": " + r.detail()).isNotIn(Outcome.FAILED, Outcome.REFUSED);
                if (!r.target().isEmpty()) {
                    backend.recordOnVictim(new Target(r.target(), Target.Kind.WORKER, true, OLD),
                            new ChaosLogEntry(NOW.toEpochMilli(), 1, 1, "kubernetes", e.wire(), r.target(), r.outcome().wire(), r.detail()));
                }
            }
            backend.killNatsNode(backend.targets(Target.Kind.NATS).get(0));
            backend.stopGracefully(backend.targets(Target.Kind.WORKER).get(0));
            backend.workerReplicas();
            backend.scaleWorkers(3);
            operator.addAll(drainRequests());
            natsPod();
            worker("worker-x" + evict);
            pod(NS, "producer-x" + evict, "producer", true, OLD, "natsoak");
            drainRequests();
        }
        Set<String> seen = new java.util.TreeSet<>();
        for (RecordedRequest req : operator) {
            Permissions.Grant needed = Permissions.needed(req.getMethod(), java.net.URI.create("http://mock" + req.getPath())).orElseThrow();
            seen.add(needed.toString());
            assertThat(packaged.allows(needed)).as(req.getMethod() + " " + req.getPath() + " needs " + needed).isTrue();
        }
        // Exactly: every call is listed, and everything listed is called (the chart's Role grants no more than needed).
        assertThat(seen).containsExactlyInAnyOrderElementsOf(packaged.grants().stream().map(Permissions.Grant::toString).toList());
    }

    private static void natsPod() {
        client.pods().inNamespace(NS).withName("nats-0").withGracePeriod(0).delete();
        client.pods().inNamespace(NS).resource(new PodBuilder(pod(NS, "nats-0", "nats", true, OLD, "nats")).editMetadata()
                .addToLabels("app.kubernetes.io/name", "nats").endMetadata().build()).update();
    }
}

package io.natsoak.chart;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.natsoak.chaos.ChaosEvent;
import io.natsoak.chaos.ChaosOperator;
import io.natsoak.chaos.Outcome;
import io.natsoak.chaos.kubernetes.KubernetesBackend;
import io.natsoak.chaos.kubernetes.Permissions;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.metrics.MetricNames;
import io.natsoak.testing.NatsClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The chart and the chaos operator together: the chaos-test render is applied to fabric8's mock
 * API server (CRUD mode; it runs no controllers, so the test creates the pods each workload's
 * template describes), and the operator runs with exactly the settings the chart gives its pod
 * (NATS URLs swapped for a real test cluster) until it has scheduled every Kubernetes event. Its
 * calls pass the packaged permission list (the chart's Role), it only touches this release's pods
 * and worker Deployment, and nothing fails.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ChartChaosIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = HelmChart.NAMESPACE;
    private static final Instant LONG_AGO = Instant.now().minus(Duration.ofHours(1));
    /** The events that act through the Kubernetes API alone (the others need live natsoak processes). */
    private static final Set<ChaosEvent> KUBERNETES_EVENTS = EnumSet.of(ChaosEvent.WORKER_CRASH, ChaosEvent.WORKER_GRACEFUL_STOP,
            ChaosEvent.SCALE_UP, ChaosEvent.SCALE_DOWN, ChaosEvent.PRODUCER_CRASH, ChaosEvent.VERIFIER_CRASH);

    @Test
    void theOperatorAsTheChartConfiguresItInjectsFaultsIntoTheReleasesPodsOnly() throws Exception {
        String run = nats.uniqueName("CHART");
        List<HasMetadata> objects = HelmChart.natsoak().render().valuesFile("values-chaos-test.yaml").values("""
                config:
                  run-id: %s
                  chaos:
                    seed: 11
                    interval-min: 50ms
                    interval-max: 100ms
                    min-age: 0s
                    weights: {worker-restart: 0, leader-failure: 0, network-disconnect: 0, nats-node-kill: 0, verifier-restart: 0}
                """.formatted(run)).objects();
        for (HasMetadata o : objects) {
            client.resource(o).inNamespace(NS).create();
        }
        for (HasMetadata o : objects) {
            Pods.template(o).ifPresent(t -> createPods(o, t));
        }
        // Another release's worker in the same namespace: out of the operator's reach.
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("other-natsoak-worker-0").withNamespace(NS)
                .addToLabels("app.kubernetes.io/part-of", "natsoak").addToLabels("app.kubernetes.io/instance", "other")
                .addToLabels("app.kubernetes.io/component", "worker").endMetadata()
                .withNewSpec().addNewContainer().withName("natsoak").withImage("natsoak").endContainer().endSpec()
                .withNewStatus().withStartTime(LONG_AGO.toString()).addNewCondition().withType("Ready").withStatus("True").endCondition()
                .endStatus().build()).create();
        Set<String> releasePods = podNames().stream().filter(n -> !n.startsWith("other-")).collect(Collectors.toSet());

        NatsoakConfig config = settingsOfTheChaosPod(objects);
        assertThat(config.chaos().kubernetes().workerDeployment()).isEqualTo("natsoak-worker");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (KubernetesBackend backend = new KubernetesBackend(config.chaos().kubernetes(),
                KubernetesBackend.client(client.getConfiguration(), Permissions.packaged(), null), null)) {
            ChaosOperator operator = new ChaosOperator(config, "natsoak-chaos-5d8f7c9b6-xk2vq", backend, registry, Clock.systemUTC());
            operator.start();
            try {
                // one round of the schedule's bag holds every event with a weight: each has been tried
                await().atMost(Duration.ofMinutes(2)).until(() -> KUBERNETES_EVENTS.stream().allMatch(e -> tried(registry, e) > 0));
            } finally {
                operator.stop();
            }
        }

        for (ChaosEvent e : KUBERNETES_EVENTS) {
            // The permission guard refuses a call the Role does not grant before it is sent
            // (outcome refused). A call that failed in transit (the mock server under a loaded CI
            // machine once failed a pod list) is not a permission problem and is retried by the
            // schedule's next round.
            assertThat(count(registry, e, Outcome.REFUSED))
                    .as(e.wire() + ": refused calls (an API call the Role does not grant is refused)").isZero();
        }
        assertThat(count(registry, ChaosEvent.WORKER_CRASH, Outcome.INJECTED) + count(registry, ChaosEvent.WORKER_GRACEFUL_STOP, Outcome.INJECTED))
                .as("workers removed").isPositive();
        assertThat(count(registry, ChaosEvent.SCALE_UP, Outcome.INJECTED) + count(registry, ChaosEvent.SCALE_DOWN, Outcome.INJECTED))
                .as("worker Deployment scaled").isPositive();
        assertThat(podNames()).as("the other release's pod").contains("other-natsoak-worker-0");
        assertThat(releasePods).containsAll(podNames().stream().filter(n -> !n.startsWith("other-")).toList());
        int replicas = client.apps().deployments().inNamespace(NS).withName("natsoak-worker").get().getSpec().getReplicas();
        assertThat(replicas).as("workers within natsoak.chaos.workers-min/max of the chaos-test preset").isBetween(2, 4);
        List<Event> events = client.v1().events().inNamespace(NS).list().getItems();
        assertThat(events).isNotEmpty().allSatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("NatsoakChaos");
            String target = e.getInvolvedObject().getKind() + "/" + e.getInvolvedObject().getName();
            assertThat(target).as("the Event's object: a pod of the release, or its worker Deployment")
                    .isIn(Stream.concat(releasePods.stream().map(n -> "Pod/" + n), Stream.of("Deployment/natsoak-worker")).toList());
        });
    }

    /** What the StatefulSet and Deployment controllers would create: the template's pods, ready, started long ago. */
    private static void createPods(HasMetadata workload, PodTemplateSpec template) {
        int replicas = workload instanceof StatefulSet s ? s.getSpec().getReplicas() : ((Deployment) workload).getSpec().getReplicas();
        for (int i = 0; i < replicas; i++) {
            String name = workload instanceof StatefulSet ? workload.getMetadata().getName() + "-" + i
                    : workload.getMetadata().getName() + "-5d8f7c9b6-" + i;
            client.pods().inNamespace(NS).resource(new PodBuilder()
                    .withNewMetadata().withName(name).withNamespace(NS).withLabels(template.getMetadata().getLabels()).endMetadata()
                    .withSpec(template.getSpec())
                    .withNewStatus().withStartTime(LONG_AGO.toString()).addNewCondition().withType("Ready").withStatus("True").endCondition()
                    .endStatus().build()).create();
        }
    }

    /** The chaos container's natsoak settings as rendered (ConfigMap, then its own variables), on the test's NATS. */
    private static NatsoakConfig settingsOfTheChaosPod(List<HasMetadata> objects) {
        Map<String, String> byEnv = ConfigSchema.settingsByEnvironmentName();
        Map<String, String> settings = new HashMap<>();
        Pods.named(objects, ConfigMap.class, "natsoak-config").getData().forEach((k, v) -> settings.put(byEnv.get(k), v));
        Container chaos = Pods.named(objects, Deployment.class, "natsoak-chaos").getSpec().getTemplate().getSpec().getContainers().get(0);
        for (EnvVar v : chaos.getEnv()) {
            if (v.getName().startsWith("NATSOAK_") && v.getValue() != null) {
                settings.put(byEnv.get(v.getName()), v.getValue());
            }
        }
        settings.put("natsoak.nats.urls", String.join(",", nats.urls()));
        settings.remove("natsoak.nats.username"); // the test cluster has no users
        assertThat(settings).doesNotContainKey(null).containsEntry("natsoak.role", "chaos").containsEntry("natsoak.chaos.enabled", "true");
        return ConfigLoader.fromMap(settings);
    }

    private static List<String> podNames() {
        return client.pods().inNamespace(NS).list().getItems().stream().map(Pod::getMetadata).map(m -> m.getName()).sorted().toList();
    }

    private static double count(SimpleMeterRegistry registry, ChaosEvent e, Outcome o) {
        return registry.counter(MetricNames.CHAOS_EVENTS, MetricNames.TAG_EVENT, e.wire(), MetricNames.TAG_OUTCOME, o.wire()).count();
    }

    private static double tried(SimpleMeterRegistry registry, ChaosEvent e) {
        double total = 0;
        for (Outcome o : Outcome.values()) {
            total += count(registry, e, o);
        }
        return total;
    }
}

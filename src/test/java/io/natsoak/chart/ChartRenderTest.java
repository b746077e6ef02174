package io.natsoak.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.natsoak.config.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The chart rendered by real Helm, with its defaults and with every preset values file: lint, the
 * typed model with no unknown fields, restricted pods with probes and resources, and the objects
 * that must equal files of this repository (chaos Role, dashboards, alert rules).
 */
class ChartRenderTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    /** The presets the issue asks values files for; each values-*.yaml must name a natsoak preset. */
    private static final List<String> PRESET_FILES = List.of("quick", "chaos-test", "realistic", "stress");
    private static final String MONITORING_ON = "monitoring: {skipApiCheck: true, labels: {release: kube-prometheus-stack}}\n";

    static Stream<String> renders() {
        return Stream.concat(Stream.of("values.yaml"), PRESET_FILES.stream().map(p -> "values-" + p + ".yaml"));
    }

    private static List<HasMetadata> render(String valuesFile, String... extraValues) {
        HelmChart.Render r = HelmChart.natsoak().render();
        if (!valuesFile.equals("values.yaml")) {
            r.valuesFile(valuesFile);
        }
        Arrays.stream(extraValues).forEach(r::values);
        return r.objects();
    }

    @Test
    void lintStrictPasses() {
        LintResult lint = HelmChart.natsoak().lintStrict();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).as("helm lint --strict").noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @ParameterizedTest
    @MethodSource("renders")
    void everyObjectIsTypedWithNoUnknownField(String valuesFile) {
        // objects() fails on any unknown field or untyped kind; monitoring on to cover those kinds too.
        List<HasMetadata> objects = render(valuesFile, MONITORING_ON);
        Set<String> kinds = objects.stream().map(HasMetadata::getKind).collect(Collectors.toSet());
        assertThat(kinds).contains("StatefulSet", "Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "ServiceAccount",
                "PodMonitor", "PrometheusRule");
        assertThat(objects).allSatisfy(o -> {
            assertThat(o.getMetadata().getNamespace()).as(o.getKind() + " namespace").isEqualTo(HelmChart.NAMESPACE);
            assertThat(o.getMetadata().getLabels()).as(o.getKind() + " " + o.getMetadata().getName() + " labels")
                    .containsEntry("app.kubernetes.io/part-of", "natsoak")
                    .containsEntry("app.kubernetes.io/instance", HelmChart.RELEASE)
                    .containsEntry("app.kubernetes.io/managed-by", "Helm")
                    .containsKey("app.kubernetes.io/component");
        });
    }

    @ParameterizedTest
    @MethodSource("renders")
    void everyPodIsRestrictedAndEveryContainerHasProbesAndResources(String valuesFile) {
        Map<String, PodSpec> pods = Pods.specs(render(valuesFile));
        assertThat(pods).isNotEmpty();
        pods.forEach((name, pod) -> {
            assertRestricted(name, pod);
            assertThat(pod.getEnableServiceLinks()).as(name + ": enableServiceLinks").isFalse();
            for (Container c : pod.getContainers()) {
                String where = name + " container " + c.getName();
                assertThat(c.getLivenessProbe()).as(where + ": liveness probe").isNotNull();
                assertThat(c.getReadinessProbe()).as(where + ": readiness probe").isNotNull();
            }
        });
    }

    /** Pod Security Standards "restricted", plus resources, for every container including init containers. */
    static void assertRestricted(String name, PodSpec pod) {
        PodSecurityContext psc = pod.getSecurityContext();
        assertThat(psc).as(name + ": pod securityContext").isNotNull();
        assertThat(psc.getRunAsNonRoot()).as(name + ": runAsNonRoot").isTrue();
        assertThat(psc.getRunAsUser()).as(name + ": runAsUser").isNotNull().isPositive();
        assertThat(psc.getSeccompProfile().getType()).as(name + ": seccomp").isEqualTo("RuntimeDefault");
        assertThat(pod.getHostNetwork()).as(name + ": hostNetwork").isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getHostPID()).as(name + ": hostPID").isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getVolumes()).as(name + ": volumes").allSatisfy(v -> assertThat(v.getHostPath()).as(name + " hostPath").isNull());
        for (Container c : Pods.allContainers(pod)) {
            String where = name + " container " + c.getName();
            SecurityContext sc = c.getSecurityContext();
            assertThat(sc).as(where + ": securityContext").isNotNull();
            assertThat(sc.getAllowPrivilegeEscalation()).as(where + ": allowPrivilegeEscalation").isFalse();
            assertThat(sc.getPrivileged()).as(where + ": privileged").isNotEqualTo(Boolean.TRUE);
            assertThat(sc.getReadOnlyRootFilesystem()).as(where + ": readOnlyRootFilesystem").isTrue();
            assertThat(sc.getCapabilities().getDrop()).as(where + ": capabilities dropped").containsExactly("ALL");
            assertThat(sc.getCapabilities().getAdd()).as(where + ": capabilities added").isNullOrEmpty();
            assertThat(sc.getRunAsUser() == null || sc.getRunAsUser() != 0).as(where + ": runAsUser 0").isTrue();
            assertThat(c.getResources()).as(where + ": resources").isNotNull();
            assertThat(c.getResources().getRequests()).as(where + ": requests").containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits()).as(where + ": limits").containsKey("memory");
        }
    }

    @ParameterizedTest
    @MethodSource("renders")
    void natsoakContainersProbeQuarkusHealthOnTheirHttpPort(String valuesFile) {
        Pods.specs(render(valuesFile)).forEach((name, pod) -> pod.getContainers().stream().filter(c -> c.getName().equals("natsoak")).forEach(c -> {
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).as(name + " liveness").isEqualTo("/q/health/live");
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).as(name + " readiness").isEqualTo("/q/health/ready");
            assertThat(c.getPorts()).as(name + " ports").anySatisfy(p -> {
                assertThat(p.getName()).isEqualTo("http");
                assertThat(p.getContainerPort()).isEqualTo(8080);
            });
            assertThat(env(c, "QUARKUS_HTTP_PORT")).isEqualTo("8080");
        }));
    }

    @ParameterizedTest
    @ValueSource(strings = {"quick", "chaos-test", "realistic", "stress"})
    void presetValuesFileSetsThePresetAndTheReplicaCountsItImplies(String preset) throws IOException {
        Map<String, String> settings = Presets.load(preset);
        JsonNode values = YAML.readTree(HelmChart.natsoak().dir().resolve("values-" + preset + ".yaml").toFile());
        assertThat(values.path("preset").asText()).isEqualTo(preset);
        assertThat(values.path("producer").path("replicas").asText()).as("producer.replicas of " + preset)
                .isEqualTo(settings.get("natsoak.producer.count"));
        assertThat(values.path("worker").path("replicas").asText()).as("worker.replicas of " + preset)
                .isEqualTo(settings.get("natsoak.worker.count"));

        List<HasMetadata> objects = render("values-" + preset + ".yaml");
        ConfigMap config = Pods.named(objects, ConfigMap.class, "natsoak-config");
        assertThat(config.getData()).containsEntry("NATSOAK_PRESET", preset)
                .containsEntry("NATSOAK_PRODUCER_COUNT", settings.get("natsoak.producer.count"))
                .containsEntry("NATSOAK_WORKER_COUNT", settings.get("natsoak.worker.count"));
        assertThat(Pods.named(objects, StatefulSet.class, "natsoak-producer").getSpec().getReplicas())
                .isEqualTo(Integer.parseInt(settings.get("natsoak.producer.count")));
        assertThat(Pods.named(objects, Deployment.class, "natsoak-worker").getSpec().getReplicas())
                .isEqualTo(Integer.parseInt(settings.get("natsoak.worker.count")));
    }

    @Test
    void everyPresetValuesFileNamesANatsoakPresetAndTheSchemaListsExactlyThem() throws IOException {
        List<String> files;
        try (Stream<Path> s = Files.list(HelmChart.natsoak().dir())) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("values-.+\\.yaml")).sorted().toList();
        }
        assertThat(files).containsAll(PRESET_FILES.stream().map(p -> "values-" + p + ".yaml").toList());
        for (String f : files) {
            assertThat(Presets.NAMES).as(f).contains(f.substring("values-".length(), f.length() - ".yaml".length()));
        }
        JsonNode schema = YAML.readTree(HelmChart.natsoak().dir().resolve("values.schema.json").toFile());
        List<String> enumerated = new ArrayList<>();
        schema.path("properties").path("preset").path("enum").forEach(n -> enumerated.add(n.asText()));
        assertThat(enumerated).as("values.schema.json preset enum").isEqualTo(Presets.NAMES);
    }

    @Test
    void chaosRoleGrantsExactlyThePermissionsFileAndNothingIsClusterWide() throws IOException {
        List<HasMetadata> objects = render("values-chaos-test.yaml");
        Role role = Pods.named(objects, Role.class, "natsoak-chaos");
        JsonNode file = YAML.readTree(ChartFiles.path(ChartFiles.CHAOS_PERMISSIONS).toFile());
        List<PolicyRule> expected = Arrays.asList(SERIALIZATION.convertValue(file.path("rules"), PolicyRule[].class));
        assertThat(expected).as(ChartFiles.CHAOS_PERMISSIONS + " rules").isNotEmpty();
        assertThat(role.getRules()).as("the chaos Role's rules vs " + ChartFiles.CHAOS_PERMISSIONS).isEqualTo(expected);

        RoleBinding binding = Pods.named(objects, RoleBinding.class, "natsoak-chaos");
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo("natsoak-chaos");
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo("natsoak-chaos");
            assertThat(s.getNamespace()).isEqualTo(HelmChart.NAMESPACE);
        });
        assertThat(Pods.ofKind(objects, Role.class)).as("Roles").hasSize(1);
        assertThat(Pods.ofKind(objects, RoleBinding.class)).as("RoleBindings").hasSize(1);

        // Only the chaos operator's pod gets an API token, and it runs as the bound ServiceAccount.
        Pods.specs(objects).forEach((name, pod) -> {
            boolean chaos = name.equals("Deployment/natsoak-chaos");
            assertThat(pod.getAutomountServiceAccountToken()).as(name + ": automountServiceAccountToken").isEqualTo(chaos);
            assertThat(pod.getServiceAccountName()).as(name + ": serviceAccountName").isEqualTo(chaos ? "natsoak-chaos" : "natsoak");
        });

        for (String valuesFile : renders().toList()) {
            List<HasMetadata> all = render(valuesFile, MONITORING_ON);
            assertThat(all).as(valuesFile + ": cluster-wide RBAC")
                    .noneMatch(o -> o instanceof ClusterRole || o instanceof ClusterRoleBinding);
        }
    }

    @Test
    void noChaosObjectsWithoutChaos() {
        List<HasMetadata> objects = render("values.yaml");
        assertThat(objects).noneMatch(o -> "chaos".equals(o.getMetadata().getLabels().get("app.kubernetes.io/component")));
    }

    @Test
    void dashboardConfigMapsAreTheDashboardFiles() throws IOException {
        List<HasMetadata> objects = render("values.yaml");
        List<ConfigMap> dashboards = Pods.ofKind(objects, ConfigMap.class)
                .filter(c -> "1".equals(c.getMetadata().getLabels().get("grafana_dashboard"))).toList();
        Map<String, String> rendered = new TreeMap<>();
        dashboards.forEach(c -> rendered.putAll(c.getData()));
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(ChartFiles.path(ChartFiles.DASHBOARDS))) {
            for (Path f : s.filter(p -> p.toString().endsWith(".json")).toList()) {
                files.put(f.getFileName().toString(), ChartFiles.read(f));
            }
        }
        assertThat(files).isNotEmpty();
        assertThat(rendered.keySet()).as("dashboards in ConfigMaps").isEqualTo(files.keySet());
        files.forEach((name, content) -> assertThat(rendered.get(name)).as(name + " in its ConfigMap").isEqualTo(content));
        assertThat(dashboards).allSatisfy(c -> assertThat(c.getData()).hasSize(1));

        List<HasMetadata> custom = render("values.yaml",
                "monitoring: {labels: {release: prom}, dashboards: {label: grafana_dash, labelValue: natsoak, annotations: {grafana_folder: Soak}}}");
        assertThat(Pods.ofKind(custom, ConfigMap.class).filter(c -> c.getData().keySet().stream().anyMatch(k -> k.endsWith(".json"))))
                .hasSize(files.size()).allSatisfy(c -> {
                    assertThat(c.getMetadata().getLabels()).containsEntry("grafana_dash", "natsoak").containsEntry("release", "prom")
                            .doesNotContainKey("grafana_dashboard");
                    assertThat(c.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Soak");
                });
        assertThat(render("values.yaml", "monitoring: {dashboards: {enabled: false}}"))
                .noneMatch(o -> o instanceof ConfigMap c && c.getData().keySet().stream().anyMatch(k -> k.endsWith(".json")));
    }

    @Test
    void prometheusRuleIsTheRulesFile() throws IOException {
        List<StrictManifests.Document> docs = HelmChart.natsoak().render().values(MONITORING_ON).documents();
        List<JsonNode> rules = new ArrayList<>();
        for (StrictManifests.Document d : docs) {
            JsonNode node = YAML.readTree(d.text());
            if (node.path("kind").asText().equals("PrometheusRule")) {
                rules.add(node);
            }
        }
        assertThat(rules).hasSize(1);
        JsonNode file = YAML.readTree(ChartFiles.path(ChartFiles.RULES).toFile());
        assertThat(rules.get(0).path("spec")).as("PrometheusRule spec vs " + ChartFiles.RULES).isEqualTo(file);
        assertThat(rules.get(0).path("metadata").path("labels").path("release").asText()).isEqualTo("kube-prometheus-stack");
        // and the typed model knows every field of it
        assertThat(Pods.ofKind(StrictManifests.parse(HelmChart.natsoak().render().values(MONITORING_ON).manifest()), PrometheusRule.class)).hasSize(1);
    }

    @Test
    void monitoringObjectsNeedTheirApiOrSkipApiCheck() {
        // helm template announces no monitoring.coreos.com API: nothing is rendered unless told to skip the check
        List<HasMetadata> plain = render("values.yaml");
        assertThat(plain).noneMatch(o -> o instanceof PodMonitor || o instanceof ServiceMonitor || o instanceof PrometheusRule);

        List<HasMetadata> pods = render("values.yaml", MONITORING_ON);
        PodMonitor pm = Pods.ofKind(pods, PodMonitor.class).findFirst().orElseThrow();
        assertThat(pm.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");
        assertThat(pm.getSpec().getPodMetricsEndpoints()).extracting(e -> e.getPort() + " " + e.getPath())
                .containsExactly("http /q/metrics", "metrics /metrics");
        assertThat(pm.getSpec().getSelector().getMatchLabels()).containsEntry("app.kubernetes.io/instance", HelmChart.RELEASE);

        List<HasMetadata> services = render("values.yaml", MONITORING_ON, "monitoring: {podMonitor: {enabled: false}, serviceMonitor: {enabled: true}}");
        assertThat(services).noneMatch(o -> o instanceof PodMonitor);
        assertThat(Pods.ofKind(services, ServiceMonitor.class).map(s -> s.getMetadata().getName()))
                .containsExactlyInAnyOrder("natsoak", "natsoak-nats");
        Service metrics = Pods.named(services, Service.class, "natsoak-metrics");
        assertThat(metrics.getSpec().getSelector()).containsEntry("app.kubernetes.io/part-of", "natsoak")
                .doesNotContainKey("app.kubernetes.io/component");

        assertThatThrownBy(() -> render("values.yaml", "monitoring: {serviceMonitor: {enabled: true}}"))
                .hasMessageContaining("monitoring.podMonitor.enabled and monitoring.serviceMonitor.enabled: both true");
    }

    @ParameterizedTest
    @MethodSource("renders")
    void terminationGraceCoversTheDrain(String valuesFile) throws IOException {
        Properties app = new Properties();
        try (var in = Files.newBufferedReader(ChartFiles.path(ChartFiles.APPLICATION_PROPERTIES))) {
            app.load(in);
        }
        long quarkusDrain = io.quarkus.runtime.configuration.DurationConverter.parseDuration(app.getProperty("quarkus.shutdown.timeout")).toSeconds();
        List<HasMetadata> objects = render(valuesFile);
        Pods.specs(objects).forEach((name, pod) -> {
            if (pod.getContainers().stream().anyMatch(c -> c.getName().equals("natsoak"))) {
                // Quarkus' request drain, then at least 30 s for the role's own (receipts, positions, marks)
                assertThat(pod.getTerminationGracePeriodSeconds()).as(name + " terminationGracePeriodSeconds").isGreaterThanOrEqualTo(quarkusDrain + 30);
            }
        });
        StatefulSet nats = Pods.named(objects, StatefulSet.class, "natsoak-nats");
        String conf = Pods.named(objects, ConfigMap.class, "natsoak-nats-config").getData().get("nats.conf");
        long lameDuck = seconds(conf, "lame_duck_duration") + seconds(conf, "lame_duck_grace_period");
        PodSpec pod = nats.getSpec().getTemplate().getSpec();
        assertThat(pod.getTerminationGracePeriodSeconds()).as("NATS grace vs lame duck " + lameDuck + " s").isGreaterThan(lameDuck);
        List<String> preStop = pod.getContainers().get(0).getLifecycle().getPreStop().getExec().getCommand();
        assertThat(String.join(" ", preStop)).contains("nats-server -sl=ldm=/var/run/nats/nats.pid").contains("sleep");
        assertThat(conf).contains("pid_file: /var/run/nats/nats.pid");
    }

    private static long seconds(String conf, String key) {
        Matcher m = Pattern.compile(key + ": \"(\\d+)s\"").matcher(conf);
        assertThat(m.find()).as(key + " in nats.conf").isTrue();
        return Duration.ofSeconds(Long.parseLong(m.group(1))).toSeconds();
    }

    @Test
    void natsIsAThreeNodeJetStreamStatefulSetWithStableNamesVolumesAndABudget() {
        List<HasMetadata> objects = render("values.yaml");
        StatefulSet nats = Pods.named(objects, StatefulSet.class, "natsoak-nats");
        assertThat(nats.getSpec().getReplicas()).isEqualTo(3);
        assertThat(nats.getSpec().getServiceName()).isEqualTo("natsoak-nats-headless");
        assertThat(nats.getSpec().getVolumeClaimTemplates()).singleElement()
                .satisfies(pvc -> assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("10Gi"));
        Service headless = Pods.named(objects, Service.class, "natsoak-nats-headless");
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        PodDisruptionBudget pdb = Pods.named(objects, PodDisruptionBudget.class, "natsoak-nats");
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(nats.getSpec().getSelector().getMatchLabels());
        Container server = nats.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(List.of(server.getStartupProbe(), server.getLivenessProbe(), server.getReadinessProbe())).extracting(Probe::getHttpGet)
                .extracting(h -> h.getPath()).containsExactly("/healthz", "/healthz?js-enabled-only=true", "/healthz?js-server-only=true");
        String conf = Pods.named(objects, ConfigMap.class, "natsoak-nats-config").getData().get("nats.conf");
        for (int i = 0; i < 3; i++) {
            assertThat(conf).contains("nats://natsoak-nats-" + i + ".natsoak-nats-headless.natsoak.svc:6222");
        }
        assertThat(env(Pods.named(objects, Deployment.class, "natsoak-worker").getSpec().getTemplate().getSpec().getContainers().get(0),
                "NATSOAK_NATS_URLS")).isEqualTo(internalUrls(3));
    }

    /** The client URL list natsoak gets for the internal cluster: every node by its stable name. */
    private static String internalUrls(int nodes) {
        return IntStream.range(0, nodes).mapToObj(i -> "nats://natsoak-nats-" + i + ".natsoak-nats-headless.natsoak.svc:4222")
                .collect(Collectors.joining(","));
    }

    @Test
    void externalNatsTakesCredentialsAndTlsFromSecretsAndRendersNoServer() {
        List<HasMetadata> objects = render("values-chaos-test.yaml", """
                nats:
                  mode: external
                  external:
                    urls: ["tls://nats.example:4222", "tls://nats2.example:4222"]
                    credentials:
                      app: {secretName: soak-app, usernameKey: user, passwordKey: pass}
                      chaos: {secretName: soak-chaos, credsKey: chaos.creds}
                    tls: {enabled: true, secretName: nats-ca, truststoreKey: ca.p12, truststorePasswordKey: ca-pass}
                """);
        assertThat(objects).noneMatch(o -> "nats".equals(o.getMetadata().getLabels().get("app.kubernetes.io/component")));
        Container worker = Pods.named(objects, Deployment.class, "natsoak-worker").getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(env(worker, "NATSOAK_NATS_URLS")).isEqualTo("tls://nats.example:4222,tls://nats2.example:4222");
        assertThat(secretRef(worker, "NATSOAK_NATS_USERNAME")).isEqualTo("soak-app/user");
        assertThat(secretRef(worker, "NATSOAK_NATS_PASSWORD")).isEqualTo("soak-app/pass");
        assertThat(env(worker, "NATSOAK_NATS_TLS_ENABLED")).isEqualTo("true");
        assertThat(env(worker, "NATSOAK_NATS_TLS_TRUSTSTORE")).isEqualTo("/etc/natsoak/nats-tls/ca.p12");
        assertThat(secretRef(worker, "NATSOAK_NATS_TLS_TRUSTSTORE_PASSWORD")).isEqualTo("nats-ca/ca-pass");
        assertThat(worker.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/etc/natsoak/nats-tls");

        PodSpec chaosPod = Pods.named(objects, Deployment.class, "natsoak-chaos").getSpec().getTemplate().getSpec();
        Container chaos = chaosPod.getContainers().get(0);
        assertThat(env(chaos, "NATSOAK_NATS_CREDS_FILE")).isEqualTo("/etc/natsoak/nats-credentials/chaos.creds");
        assertThat(chaos.getEnv()).noneMatch(e -> e.getName().equals("NATSOAK_NATS_USERNAME"));
        assertThat(chaosPod.getVolumes()).anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals("soak-chaos"));
    }

    @Test
    void internalNatsGivesTheChaosOperatorItsOwnIdentity() {
        List<HasMetadata> objects = render("values-chaos-test.yaml");
        Container chaos = Pods.named(objects, Deployment.class, "natsoak-chaos").getSpec().getTemplate().getSpec().getContainers().get(0);
        Container worker = Pods.named(objects, Deployment.class, "natsoak-worker").getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(env(chaos, "NATSOAK_NATS_USERNAME")).isEqualTo("natsoak-chaos");
        assertThat(secretRef(chaos, "NATSOAK_NATS_PASSWORD")).isEqualTo("natsoak-nats-credentials/chaos-password");
        assertThat(env(worker, "NATSOAK_NATS_USERNAME")).isEqualTo("natsoak");
        assertThat(secretRef(worker, "NATSOAK_NATS_PASSWORD")).isEqualTo("natsoak-nats-credentials/app-password");
        assertThat(env(chaos, "NATSOAK_CHAOS_ENABLED")).isEqualTo("true");
        String auth = Pods.named(objects, ConfigMap.class, "natsoak-nats-config").getData().get("auth.conf");
        assertThat(auth).contains("deny: [\"natsoak.*.control.>\"]");
    }

    @Test
    void notesSayHowToWatchTheSoakAndReadTheVerdict() {
        String notes = HelmChart.natsoak().notes("{}");
        assertThat(notes).contains("kubectl -n natsoak logs -f deploy/natsoak-verifier")
                .contains("kubectl -n natsoak port-forward svc/natsoak-verifier 8080:8080")
                .contains("curl -s localhost:8080" + io.natsoak.app.ReportRoute.PATH)
                .contains("helm test natsoak -n natsoak --logs")
                .contains("no chaos (chaos.enabled=false)")
                .contains("Not installed: the PodMonitor")
                .contains("Not installed: the alert rules");
        String chaos = HelmChart.natsoak().notes("chaos: {enabled: true}\nmonitoring: {skipApiCheck: true}\nconfig: {run-id: soak-9}");
        assertThat(chaos).contains("the chaos operator").doesNotContain("Not installed").contains("the run record of \"soak-9\"");
    }

    /** The chaos operator's targets, as the chart configures them, are exactly this release's role and NATS pods. */
    @Test
    void chaosOperatorTargetsThisReleasesPodsAndWorkerDeployment() {
        List<HasMetadata> objects = HelmChart.natsoak().render().valuesFile("values-chaos-test.yaml")
                .values("worker: {replicas: 4}").release("soak", "team-a").objects();
        Container chaos = Pods.named(objects, Deployment.class, "soak-natsoak-chaos").getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(env(chaos, "NATSOAK_CHAOS_KUBERNETES_NAMESPACE")).isEqualTo("team-a");
        String componentLabel = env(chaos, "NATSOAK_CHAOS_KUBERNETES_COMPONENT_LABEL");
        Map<String, String> selector = labels(env(chaos, "NATSOAK_CHAOS_KUBERNETES_SELECTOR"));
        Map<String, String> natsSelector = labels(env(chaos, "NATSOAK_CHAOS_KUBERNETES_NATS_SELECTOR"));
        Map<String, Map<String, String>> podLabels = new TreeMap<>();
        objects.forEach(o -> Pods.template(o).ifPresent(t -> podLabels.put(o.getMetadata().getName(), t.getMetadata().getLabels())));
        for (String role : List.of("producer", "worker", "verifier")) {
            assertThat(podLabels.get("soak-natsoak-" + role)).as(role + " pods vs the operator's selector")
                    .containsAllEntriesOf(selector).containsEntry(componentLabel, role);
        }
        assertThat(podLabels.get("soak-natsoak-nats")).as("NATS pods vs the operator's NATS selector").containsAllEntriesOf(natsSelector);
        assertThat(podLabels.entrySet().stream().filter(e -> e.getValue().entrySet().containsAll(natsSelector.entrySet())).map(Map.Entry::getKey))
                .containsExactly("soak-natsoak-nats");
        Deployment workers = Pods.named(objects, Deployment.class, env(chaos, "NATSOAK_CHAOS_KUBERNETES_WORKER_DEPLOYMENT"));
        assertThat(workers.getSpec().getReplicas()).isEqualTo(4);
        // a second release in the same namespace is out of reach
        assertThat(selector).containsEntry("app.kubernetes.io/instance", "soak");
    }

    private static Map<String, String> labels(String selector) {
        Map<String, String> out = new TreeMap<>();
        for (String pair : selector.split(",")) {
            String[] kv = pair.split("=", 2);
            out.put(kv[0].strip(), kv[1].strip());
        }
        return out;
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has no " + name));
    }

    static String secretRef(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(e -> e.getValueFrom().getSecretKeyRef())
                .map(r -> r.getName() + "/" + r.getKey()).findFirst().orElseThrow(() -> new AssertionError(c.getName() + " has no " + name));
    }
}

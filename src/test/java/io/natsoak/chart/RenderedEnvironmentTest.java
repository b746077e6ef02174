package io.natsoak.chart;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.natsoak.config.SettingCatalog;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The environment the chart gives each natsoak container is one natsoak accepts, setting exactly
 * the intended keys: for every role, a JVM is started with that environment (ConfigMap, container
 * variables, a stand-in for each Secret value, HOSTNAME = a pod name) and loads its configuration
 * the way the role process does. natsoak ignores NATSOAK_* variables it does not know, so the test
 * also requires every one of them to be a setting of {@link SettingCatalog}.
 */
class RenderedEnvironmentTest {

    private static final Map<String, String> ENV_TO_KEY = ConfigSchema.settingsByEnvironmentName();

    /** A bit of every kind of setting: whole and decimal numbers, a large number, durations, enums, booleans, text. */
    private static final String RICH_CONFIG = """
            config:
              duration: 30m
              run-id: soak-7
              partitions: {count: 200, rate: 2.5, distribution: exponential, extreme-percent: 10}
              worker: {assignment: consistent-hash, processing-delay-min: 2ms, processing-delay-max: 8ms, max-pending: 50000}
              nats: {data-max-bytes: 1073741824, data-max-age: 2h, request-timeout: 10s}
              control: {leak-canary: true}
              resources: {max-thread-growth-percent: 7.5, warm-up: 1m}
              verifier: {report-file: /tmp/report.json, settle-timeout: 90s}
            """;

    @Test
    void everyRoleLoadsTheDefaultRender() throws Exception {
        checkEveryRole(HelmChart.natsoak().render().values("chaos: {enabled: true}").objects(), 4);
    }

    @Test
    void everyRoleLoadsEveryKindOfSettingAsGiven() throws Exception {
        List<HasMetadata> objects = HelmChart.natsoak().render().valuesFile("values-stress.yaml").values(RICH_CONFIG).objects();
        Map<String, String> data = Pods.named(objects, ConfigMap.class, "natsoak-config").getData();
        assertThat(data).containsEntry("NATSOAK_NATS_DATA_MAX_BYTES", "1073741824")
                .containsEntry("NATSOAK_PARTITIONS_RATE", "2.5")
                .containsEntry("NATSOAK_CONTROL_LEAK_CANARY", "true")
                .containsEntry("NATSOAK_WORKER_PROCESSING_DELAY_MIN", "2ms")
                .containsEntry("NATSOAK_PRESET", "stress");
        checkEveryRole(objects, 4);
    }

    @Test
    void externalNatsCredentialsAndTlsAreSettingsNatsoakKnows() throws Exception {
        checkEveryRole(HelmChart.natsoak().render().valuesFile("values-chaos-test.yaml").values("""
                nats:
                  mode: external
                  external:
                    urls: ["tls://nats.example:4222"]
                    credentials:
                      app: {secretName: app, usernameKey: user, passwordKey: pass}
                      chaos: {secretName: chaos, tokenKey: token}
                    tls: {enabled: true, secretName: ca, truststoreKey: ca.p12, truststorePasswordKey: pw, keystoreKey: me.p12, keystorePasswordKey: pw2}
                """).objects(), 4);
    }

    /** The probe can fail: a value the schema lets through but natsoak refuses is caught here. */
    @Test
    void aValueNatsoakRefusesFailsTheCheck() {
        List<HasMetadata> objects = HelmChart.natsoak().render().values("config: {partitions: {count: 0}}").objects();
        assertThatThrownBy(() -> checkEveryRole(objects, 3))
                .hasMessageContaining("natsoak: natsoak.partitions.count: 0 is not valid; allowed: 1 to 100000");
    }

    private static void checkEveryRole(List<HasMetadata> objects, int expectedRoles) throws Exception {
        Map<String, String> configMap = Pods.named(objects, ConfigMap.class, "natsoak-config").getData();
        int roles = 0;
        for (HasMetadata workload : objects) {
            PodTemplateSpec template = Pods.template(workload).orElse(null);
            if (template == null) {
                continue;
            }
            for (Container c : template.getSpec().getContainers()) {
                if (c.getName().equals("natsoak")) {
                    String pod = workload instanceof StatefulSet ? workload.getMetadata().getName() + "-0"
                            : workload.getMetadata().getName() + "-5d8f7c9b6-xk2vq";
                    check(pod, environment(c, configMap, pod));
                    roles++;
                }
            }
        }
        assertThat(roles).as("natsoak containers").isEqualTo(expectedRoles);
    }

    /** What Kubernetes would give the container: envFrom first, then env; Secret values replaced by a stand-in. */
    private static Map<String, String> environment(Container c, Map<String, String> configMap, String pod) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : c.getEnvFrom()) {
            assertThat(from.getConfigMapRef().getName()).isEqualTo("natsoak-config");
            env.putAll(configMap);
        }
        for (EnvVar v : c.getEnv()) {
            if (v.getValue() != null) {
                env.put(v.getName(), v.getValue());
            } else if (v.getValueFrom().getSecretKeyRef() != null) {
                env.put(v.getName(), "secret-" + v.getValueFrom().getSecretKeyRef().getKey());
            } else {
                assertThat(v.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
                env.put(v.getName(), HelmChart.NAMESPACE);
            }
        }
        env.put("HOSTNAME", pod);
        return env;
    }

    private static void check(String pod, Map<String, String> env) throws IOException, InterruptedException {
        List<String> keys = new ArrayList<>();
        env.keySet().stream().filter(n -> n.startsWith("NATSOAK_")).forEach(name -> {
            assertThat(ENV_TO_KEY).as(pod + ": " + name + " must be a natsoak setting (natsoak ignores unknown variables)").containsKey(name);
            keys.add(ENV_TO_KEY.get(name));
        });
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), EnvProbe.class.getName()));
        cmd.addAll(keys);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(pod + ": probe JVM finished").isTrue();
        assertThat(p.exitValue()).as(pod + ": natsoak's configuration from the rendered environment:\n" + out).isZero();
        String role = env.get("NATSOAK_ROLE");
        assertThat(out).as(pod).contains("identity=" + role + " ");
        for (String key : keys) {
            assertThat(out).as(pod + ": " + key).contains("\n" + key + "=" + env.get(ConfigSchema.environmentName(key)) + "\n");
        }
    }
}

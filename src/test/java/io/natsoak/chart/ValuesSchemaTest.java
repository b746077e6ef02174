package io.natsoak.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.natsoak.config.SettingCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * values.schema.json (checked by Helm itself before any template runs) and the template checks the
 * schema cannot express: every class of bad value stops the render with Helm's message naming the
 * key and what is allowed.
 */
class ValuesSchemaTest {

    private static final Path SCHEMA = ChartFiles.path(ChartFiles.CHART).resolve("values.schema.json");
    private static final String SCHEMA_HEADER = "values don't meet the specifications of the schema(s) in the following chart(s):";

    @Test
    void configSectionListsExactlyNatsoaksSettings() {
        ObjectNode schema = (ObjectNode) ConfigSchema.parse(ChartFiles.read(SCHEMA));
        JsonNode expected = ConfigSchema.fromCatalog();
        if (Regenerate.requested()) {
            ((ObjectNode) schema.get("properties")).set("config", expected);
            Regenerate.write(SCHEMA, ConfigSchema.pretty(schema));
        }
        assertThat(ConfigSchema.parse(ChartFiles.read(SCHEMA)).path("properties").path("config"))
                .as("values.schema.json's config section is stale against natsoak's settings; rewrite it with "
                        + Regenerate.command(getClass().getSimpleName()))
                .isEqualTo(expected);
    }

    @Test
    void schemaFileIsFormattedAsTheGeneratorWritesIt() {
        assertThat(ChartFiles.read(SCHEMA)).as("values.schema.json's formatting; rewrite it with " + Regenerate.command(getClass().getSimpleName()))
                .isEqualTo(ConfigSchema.pretty(ConfigSchema.parse(ChartFiles.read(SCHEMA))));
    }

    @Test
    void everyNatsoakSettingButTheLocalLaunchersIsInTheGeneratedSchema() {
        JsonNode config = ConfigSchema.fromCatalog();
        for (SettingCatalog.Setting s : SettingCatalog.all().values()) {
            JsonNode node = config;
            for (String part : s.key().substring("natsoak.".length()).split("\\.")) {
                node = node.path("properties").path(part);
            }
            assertThat(node.isMissingNode()).as(s.key() + " in the schema's config").isEqualTo(s.key().startsWith(ConfigSchema.LOCAL_ONLY));
        }
    }

    /** Every class of bad value: unknown keys (top level, nested, natsoak settings), types, ranges, enums, patterns. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "replicas: 3|- (root): Additional property replicas is not allowed",
            "worker: {replicaz: 3}|- worker: Additional property replicaz is not allowed",
            "monitoring: {podMonitor: {enable: true}}|- monitoring.podMonitor: Additional property enable is not allowed",
            "config: {partitons: {count: 5}}|- config: Additional property partitons is not allowed",
            "config: {worker: {procesing-delay-max: 3ms}}|- config.worker: Additional property procesing-delay-max is not allowed",
            "config: {local: {nodes: 3}}|- config: Additional property local is not allowed",
            "producer: {replicas: three}|- producer.replicas: Invalid type. Expected: integer, given: string",
            "producer: {replicas: 1.5}|- producer.replicas: Invalid type. Expected: integer, given: number",
            "worker: {replicas: -1}|- worker.replicas: Must be greater than or equal to 1",
            "producer: {replicas: 0}|- producer.replicas: Must be greater than or equal to 1",
            "worker: {replicas: 5000}|- worker.replicas: Must be less than or equal to 1000",
            "terminationGracePeriodSeconds: 5|- terminationGracePeriodSeconds: Must be greater than or equal to 30",
            "config: {partitions: {count: many}}|- config.partitions.count: Invalid type. Expected: integer, given: string",
            "config: {partitions: {rate: fast}}|- config.partitions.rate: Invalid type. Expected: number, given: string",
            "config: {control: {leak-canary: 'yes'}}|- config.control.leak-canary: Invalid type. Expected: boolean, given: string",
            "config: {partitions: {distribution: zipf}}|- config.partitions.distribution: config.partitions.distribution must be one of the following: \"uniform\", \"exponential\"",
            "config: {duration: forever}|- config.duration: Does not match pattern",
            "chaos: {enabled: 'yes'}|- chaos.enabled: Invalid type. Expected: boolean, given: string",
            "preset: fast|- preset: preset must be one of the following: \"quick\", \"chaos-test\", \"leak-hunt\", \"dev\", \"realistic\", \"stress\", \"extreme\"",
            "nats: {replicas: 2}|- nats.replicas: nats.replicas must be one of the following: 1, 3, 5",
            "nats: {mode: embedded}|- nats.mode: nats.mode must be one of the following: \"internal\", \"external\"",
            "nats: {external: {urls: ['http://nats:4222']}}|- nats.external.urls.0: Does not match pattern",
            "producer: {resources: {limit: {memory: 1Gi}}}|- producer.resources: Additional property limit is not allowed",
            "image: {repository: ''}|- image.repository: String length must be greater than or equal to 1",
            "monitoring: {podMonitor: {interval: soon}}|- monitoring.podMonitor.interval: Does not match pattern",
            "commonLabels: {team: 7}|- commonLabels.team: Invalid type. Expected: string, given: integer",
    })
    void schemaRejectsBadValuesNamingTheKey(String values, String message) {
        assertThatThrownBy(() -> HelmChart.natsoak().render().values(values).manifest())
                .hasMessageContaining(SCHEMA_HEADER)
                .hasMessageContaining(message);
    }

    /** What the schema cannot say: the templates refuse it with one line naming the value and what is allowed. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "config: {producer: {count: 4}}|config.producer.count: set by the chart (set producer.replicas instead)",
            "config: {worker: {count: 4}}|config.worker.count: set by the chart (set worker.replicas instead)",
            "config: {role: worker}|config.role: set by the chart",
            "config: {preset: stress}|config.preset: set by the chart (set preset instead)",
            "config: {nats: {urls: 'nats://x:4222'}}|config.nats.urls: set by the chart (set nats.mode and nats.external.urls instead)",
            "config: {nats: {tls: {enabled: true}}}|config.nats.tls.enabled: set by the chart (set nats.external.tls instead)",
            "config: {worker: {assignment: static}}|config.worker.assignment: \"static\" cannot work with worker pods from a Deployment",
            "config: {nats: {replicas: 5}}|config.nats.replicas: 5 stream replicas need as many NATS nodes, nats.replicas is 3",
            "nats: {replicas: 1}|config.nats.replicas: 3 stream replicas need as many NATS nodes, nats.replicas is 1",
            "nats: {mode: external}|nats.external.urls: empty with nats.mode external",
            "nats: {mode: external, external: {urls: ['nats://n:4222'], credentials: {app: {secretName: s, tokenKey: t, credsKey: c}}}}|nats.external.credentials.app: more than one of",
            "nats: {mode: external, external: {urls: ['nats://n:4222'], credentials: {chaos: {tokenKey: t}}}}|nats.external.credentials.chaos.secretName: empty while keys are set",
            "nats: {mode: external, external: {urls: ['nats://n:4222'], credentials: {app: {secretName: s, passwordKey: p}}}}|nats.external.credentials.app.passwordKey: set without usernameKey",
            "monitoring: {serviceMonitor: {enabled: true}}|monitoring.podMonitor.enabled and monitoring.serviceMonitor.enabled: both true",
            "config: {chaos: {enabled: true}}|config.chaos.enabled: set by the chart (set chaos.enabled instead)",
            "config: {chaos: {kubernetes: {selector: 'app=x'}}}|config.chaos.kubernetes.selector: set by the chart (the chaos operator selects this release's pods)",
            "config: {chaos: {kubernetes: {worker-deployment: other}}}|config.chaos.kubernetes.worker-deployment: set by the chart",
            "config: {chaos: {kubernetes: {namespace: prod}}}|config.chaos.kubernetes.namespace: set by the chart",
    })
    void templatesRefuseWhatTheSchemaCannotExpress(String values, String message) {
        assertThatThrownBy(() -> HelmChart.natsoak().render().values(values).manifest()).hasMessageContaining(message);
    }

    @Test
    void oneNodeNatsWorksWithOneReplicaStreams() {
        assertThat(HelmChart.natsoak().render().values("nats: {replicas: 1}\nconfig: {nats: {replicas: 1}}").objects()).isNotEmpty();
    }

    @Test
    void theTemplatesAssumeNatsoaksDefaultOfThreeStreamReplicas() {
        // _helpers.tpl compares nats.replicas with config.nats.replicas, defaulting to natsoak's own default
        assertThat(SettingCatalog.find("natsoak.nats.replicas").orElseThrow().defaultValue()).isEqualTo("3");
    }
}

package io.natsoak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    @Test
    void defaultsLoadAndPassValidation() {
        NatsoakConfig c = ConfigLoader.fromMap(Map.of());
        assertThat(c.role()).isEqualTo(Role.LOCAL);
        assertThat(c.partitions().count()).isEqualTo(10);
        assertThat(c.duration()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.nats().replicas()).isEqualTo(3);
    }

    @Test
    void presetSuppliesDefaultsAndExplicitSettingsWin() {
        NatsoakConfig c = ConfigLoader.fromMap(Map.of("natsoak.preset", "chaos-test", "natsoak.worker.count", "7"));
        assertThat(c.partitions().count()).isEqualTo(50);
        assertThat(c.partitions().count() * c.partitions().rate()).isEqualTo(250.0);
        assertThat(c.worker().count()).isEqualTo(7);
    }

    @Test
    void everyPresetLoads() {
        for (String preset : Presets.NAMES) {
            NatsoakConfig c = ConfigLoader.fromMap(Map.of("natsoak.preset", preset));
            assertThat(c.partitions().count()).as(preset).isPositive();
        }
        NatsoakConfig realistic = ConfigLoader.fromMap(Map.of("natsoak.preset", "realistic"));
        assertThat(realistic.partitions().count()).isEqualTo(1500);
        assertThat(realistic.partitions().distribution()).isEqualTo(Distribution.EXPONENTIAL);
        assertThat(realistic.duration()).isEqualTo(Duration.ofHours(8));
        NatsoakConfig stress = ConfigLoader.fromMap(Map.of("natsoak.preset", "stress"));
        assertThat(stress.partitions().count() * stress.partitions().rate()).isEqualTo(1500.0);
        assertThat(stress.duration()).isEqualTo(Duration.ofHours(72));
    }

    @Test
    void enumsAcceptKebabCase() {
        NatsoakConfig c = ConfigLoader.fromMap(Map.of("natsoak.role", "verifier", "natsoak.partitions.distribution", "exponential",
                "natsoak.nats.storage", "memory"));
        assertThat(c.role()).isEqualTo(Role.VERIFIER);
        assertThat(c.nats().storage()).isEqualTo(StorageType.MEMORY);
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "natsoak.preset|nosuch|natsoak.preset: \"nosuch\" is not a preset; allowed: quick, chaos-test, leak-hunt, dev, realistic, stress, extreme",
            "natsoak.partitions.count|abc|natsoak.partitions.count: \"abc\" is not valid; allowed: a whole number",
            "natsoak.partitions.count|0|natsoak.partitions.count: 0 is not valid; allowed: 1 to 100000",
            "natsoak.partitions.count|-5|natsoak.partitions.count: -5 is not valid; allowed: 1 to 100000",
            "natsoak.partitions.rate|0|natsoak.partitions.rate: 0.0 is not valid; allowed: a number greater than 0",
            "natsoak.partitions.distribution|zipf|natsoak.partitions.distribution: \"zipf\" is not valid; allowed: one of uniform, exponential",
            "natsoak.partitions.extreme-percent|150|natsoak.partitions.extreme-percent: 150.0 is not valid; allowed: 0 to 100",
            "natsoak.role|boss|natsoak.role: \"boss\" is not valid; allowed: one of producer, worker, verifier, chaos, local",
            "natsoak.duration|forever|natsoak.duration: \"forever\" is not valid; allowed: a duration such as 500ms, 30s, 2m, 8h",
            "natsoak.duration|-5s|natsoak.duration: -5s is not valid; allowed: 0 or a positive duration",
            "natsoak.producer.count|0|natsoak.producer.count: 0 is not valid; allowed: 1 to 1000",
            "natsoak.producer.message-size|10|natsoak.producer.message-size: 10 is not valid; allowed: 64 to 1048576",
            "natsoak.worker.index|3|natsoak.worker.index: 3 is not valid; allowed: -1 to 2",
            "natsoak.verifier.exit-on-verdict|maybe|natsoak.verifier.exit-on-verdict: \"maybe\" is not valid; allowed: true or false",
            "natsoak.verifier.validation-window|0s|natsoak.verifier.validation-window: 0ms is not valid; allowed: a positive duration such as 500ms or 5s",
            "natsoak.verifier.checkpoint-interval|0s|natsoak.verifier.checkpoint-interval: 0ms is not valid; allowed: a positive duration such as 500ms or 5s",
            "natsoak.verifier.checkpoint-interval|often|natsoak.verifier.checkpoint-interval: \"often\" is not valid; allowed: a duration such as 500ms, 30s, 2m, 8h",
            "natsoak.nats.urls|http://x:1|natsoak.nats.urls: \"http://x:1\" is not valid; allowed: nats://host:port, tls://host:port, ws:// or wss:// URLs",
            "natsoak.nats.replicas|0|natsoak.nats.replicas: 0 is not valid; allowed: 1 to 5",
            "natsoak.nats.storage|disk|natsoak.nats.storage: \"disk\" is not valid; allowed: one of file, memory",
            "natsoak.run-id|a.b|natsoak.run-id: \"a.b\" is not valid; allowed: 1-32 letters, digits, '-' or '_', starting with a letter or digit",
            "natsoak.partitons.count|3|natsoak.partitons.count: unknown setting; see './natsoak settings' for the known ones",
            "natsoak.worker.procesing-delay-max|3ms|natsoak.worker.procesing-delay-max: unknown setting; see './natsoak settings' for the known ones",
    })
    void badValueGivesOneLineNamingKeyAndAllowed(String key, String value, String expected) {
        assertThatThrownBy(() -> ConfigLoader.fromMap(Map.of(key, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessage(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("SRCFG").doesNotContain("Exception"));
    }

    @Test
    void aDirectoryAsReportFileIsRejected(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        assertThatThrownBy(() -> ConfigLoader.fromMap(Map.of("natsoak.verifier.report-file", dir.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessage("natsoak.verifier.report-file: " + dir + " is a directory; allowed: the path of a file (written at the end, "
                        + "replacing a file)");
        assertThat(ConfigLoader.fromMap(Map.of("natsoak.verifier.report-file", dir.resolve("r.json").toString())).verifier().reportFile())
                .hasValue(dir.resolve("r.json").toString());
    }

    @Test
    void minGreaterThanMaxIsRejected() {
        assertThatThrownBy(() -> ConfigLoader.fromMap(Map.of("natsoak.worker.processing-delay-min", "10ms",
                "natsoak.worker.processing-delay-max", "2ms")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("natsoak.worker.processing-delay-min: 10ms is greater than natsoak.worker.processing-delay-max 2ms; allowed: min <= max");
    }

    @Test
    void severalProblemsAreCountedOnTheSameLine() {
        Map<String, String> bad = new HashMap<>();
        bad.put("natsoak.partitions.count", "0");
        bad.put("natsoak.producer.count", "0");
        assertThatThrownBy(() -> ConfigLoader.fromMap(bad))
                .hasMessageEndingWith("(and 1 more problem(s))")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void moreReplicasThanLocalNodesIsRejected() {
        assertThatThrownBy(() -> ConfigLoader.fromMap(Map.of("natsoak.local.nodes", "1")))
                .hasMessage("natsoak.nats.replicas: 3 is more than natsoak.local.nodes 1; allowed: replicas <= nodes");
    }

    @Test
    void settingCatalogListsEveryKeyWithItsDefault() {
        assertThat(SettingCatalog.all()).containsKeys("natsoak.partitions.count", "natsoak.worker.processing-delay-min",
                "natsoak.nats.tls.truststore", "natsoak.local.jvm-options");
        assertThat(SettingCatalog.find("natsoak.partitions.count")).get()
                .extracting(SettingCatalog.Setting::defaultValue).isEqualTo("10");
    }
}

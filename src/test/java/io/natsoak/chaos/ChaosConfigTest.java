package io.natsoak.chaos;

import io.natsoak.config.ConfigException;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Chaos settings: on in the chaos-test profile only; a bad value is one line naming the key and what is allowed. */
class ChaosConfigTest {

    @Test
    void chaosIsOnInTheChaosTestProfileAndOffElsewhere() {
        NatsoakConfig chaosTest = ConfigLoader.fromMap(Map.of("natsoak.preset", "chaos-test"));
        assertThat(chaosTest.chaos().enabled()).isTrue();
        assertThat(chaosTest.worker().assignment().managed()).as("scaling and leader failure need the partition manager").isTrue();
        for (String preset : new String[] {"quick", "dev", "realistic", "stress", "extreme"}) {
            assertThat(ConfigLoader.fromMap(Map.of("natsoak.preset", preset)).chaos().enabled()).as(preset).isFalse();
        }
        assertThat(ConfigLoader.fromMap(Map.of()).chaos().enabled()).isFalse();
    }

    @Test
    void leakCanaryWeightCountsOnlyWhenEnabled() {
        NatsoakConfig off = ConfigLoader.fromMap(Map.of("natsoak.chaos.weights.leak-canary", "9"));
        assertThat(ChaosEvent.LEAK_CANARY.weight(off.chaos())).isZero();
        NatsoakConfig on = ConfigLoader.fromMap(Map.of("natsoak.chaos.weights.leak-canary", "9", "natsoak.chaos.leak-canary", "true"));
        assertThat(ChaosEvent.LEAK_CANARY.weight(on.chaos())).isEqualTo(9);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "natsoak.chaos.interval-min|0s|natsoak.chaos.interval-min: 0ms is not valid; allowed: a positive duration such as 500ms or 5s",
            "natsoak.chaos.interval-max|1s|natsoak.chaos.interval-min: 30s is greater than natsoak.chaos.interval-max 1s; allowed: min <= max",
            "natsoak.chaos.workers-min|9|natsoak.chaos.workers-min: 9 is greater than natsoak.chaos.workers-max 5; allowed: min <= max",
            "natsoak.chaos.weights.worker-crash|-1|natsoak.chaos.weights.worker-crash: -1 is not valid; allowed: 0 to 1000",
            "natsoak.chaos.disconnect-max|10m|natsoak.chaos.disconnect-min/disconnect-max: 5s to 10m is not valid; allowed: 1s to 300s",
            "natsoak.chaos.kubernetes.selector|tier in (a,b)|natsoak.chaos.kubernetes.selector: \"tier in (a,b)\" is not valid; allowed: key=value pairs, comma separated",
            "natsoak.chaos.kubernetes.namespace|Soak_NS|natsoak.chaos.kubernetes.namespace: \"Soak_NS\" is not valid; allowed: a Kubernetes namespace name",
            "natsoak.chaos.enabled|yes|natsoak.chaos.enabled: \"yes\" is not valid; allowed: true or false",
            "natsoak.chaos.weights.worker-krash|1|natsoak.chaos.weights.worker-krash: unknown setting; see './natsoak settings' for the known ones",
    })
    void badChaosSettingsGiveOneLine(String key, String value, String expected) {
        assertThatThrownBy(() -> ConfigLoader.fromMap(Map.of(key, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessage(expected);
    }

    @Test
    void enabledWithEveryWeightZeroIsRejected() {
        Map<String, String> s = new java.util.HashMap<>(Map.of("natsoak.chaos.enabled", "true"));
        for (String w : new String[] {"worker-crash", "worker-graceful-stop", "worker-restart", "scale-up", "scale-down", "leader-failure",
                "producer-crash", "network-disconnect", "nats-node-kill", "verifier-restart", "verifier-crash"}) {
            s.put("natsoak.chaos.weights." + w, "0");
        }
        assertThatThrownBy(() -> ConfigLoader.fromMap(s)).isInstanceOf(ConfigException.class)
                .hasMessage("natsoak.chaos.weights: every weight is 0 while natsoak.chaos.enabled=true; allowed: at least one weight above 0");
    }
}

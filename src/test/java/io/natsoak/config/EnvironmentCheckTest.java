package io.natsoak.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EnvironmentCheckTest {

    @Test
    void everySettingHasItsEnvironmentForm() {
        assertThat(EnvironmentCheck.toEnv("natsoak.worker.heartbeat-ttl")).isEqualTo("NATSOAK_WORKER_HEARTBEAT_TTL");
        assertThat(EnvironmentCheck.problem(Map.of("NATSOAK_WORKER_HEARTBEAT_TTL", "5s", "NATSOAK_ROLE", "worker",
                "NATSOAK_PARTITIONS_COUNT", "10", "PATH", "/usr/bin", "NATSOAKX", "1"))).isEmpty();
    }

    /** The natsoak script's own variable: every command that loads the configuration stopped on it. */
    @Test
    void theScriptsJavaOptionsAreNoSetting() {
        assertThat(EnvironmentCheck.problem(Map.of("NATSOAK_JAVA_OPTS", "-Xmx1g", "NATSOAK_ROLE", "worker"))).isEmpty();
    }

    @Test
    void aMisspeltVariableIsNamedInOneLine() {
        assertThat(EnvironmentCheck.problem(Map.of("NATSOAK_PARTITONS_COUNT", "50", "NATSOAK_ROLE", "worker")))
                .hasValueSatisfying(line -> assertThat(line)
                        .startsWith("unknown environment variable NATSOAK_PARTITONS_COUNT: no natsoak setting has that name")
                        .doesNotContain("\n"));
    }
}

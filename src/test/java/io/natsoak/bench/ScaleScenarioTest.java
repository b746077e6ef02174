package io.natsoak.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ScaleScenarioTest {

    @Test
    void theRunsRateIsFourFifthsOfRawRoundedUpButNeverBelow4800() {
        assertThat(ScaleScenario.goal(7_472)).isEqualTo(6_000);
        assertThat(ScaleScenario.goal(7_401)).isEqualTo(6_000);
        assertThat(ScaleScenario.goal(5_000)).isEqualTo(4_800);
        assertThat(ScaleScenario.goal(0)).isEqualTo(4_800);
    }
}

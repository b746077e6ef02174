package io.natsoak.verifier;

import io.natsoak.model.ChaosLogEntry;
import io.natsoak.model.ChaosSummary;
import io.natsoak.model.FaultRecovery;
import io.natsoak.model.Json;
import io.natsoak.nats.Names;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChaosLogReaderTest {

    private final ChaosLogReader reader = new ChaosLogReader(new Names("t"), null);
    private long sequence;

    private ChaosLogEntry fault(long step, String event) {
        ChaosLogEntry e = new ChaosLogEntry(1_000 * step, 7, step, "local", event, "worker-0", "injected", "killed");
        reader.add(++sequence, e);
        return e;
    }

    private void recovered(ChaosLogEntry fault, Double seconds) {
        FaultRecovery r = new FaultRecovery(seconds, 0.0, 5.0, seconds, 300);
        reader.add(++sequence, ChaosLogEntry.recoveryOf(fault, fault.at() + 1_000, r));
    }

    @Test
    void recoveriesJoinTheirFaultsAndAreSummedUpPerEventButNotCountedAsFaults() {
        ChaosLogEntry a = fault(1, "worker_crash");
        ChaosLogEntry b = fault(2, "worker_crash");
        ChaosLogEntry c = fault(3, "worker_crash");
        ChaosLogEntry d = fault(4, "nats_node_kill");
        fault(5, "scale_up");
        recovered(a, 12.0);
        recovered(b, 30.0);
        recovered(c, 8.0);
        recovered(d, null);

        ChaosSummary s = reader.summary();
        assertThat(s.total()).isEqualTo(5);
        assertThat(s.byEvent().get("worker_crash")).containsExactly(java.util.Map.entry("injected", 3L));
        assertThat(s.faults()).extracting(f -> f.recovery() == null ? null : f.recovery().healthySeconds())
                .containsExactly(12.0, 30.0, 8.0, null, null);
        assertThat(s.faults().get(3).recovery().recovered()).isFalse();
        assertThat(s.faults().get(4).recovery()).isNull();
        assertThat(s.recovery().get("worker_crash")).isEqualTo(new ChaosSummary.EventRecovery(3, 0, 12.0, 30.0));
        assertThat(s.recovery().get("nats_node_kill")).isEqualTo(new ChaosSummary.EventRecovery(1, 1, null, null));
        assertThat(s.recovery()).doesNotContainKey("scale_up");
        assertThat(Json.read(Json.write(s), ChaosSummary.class)).isEqualTo(s);
        assertThat(s.describeRecovery()).contains("recovery per fault (median / slowest): nats_node_kill none recovered (1 timed, "
                + "1 not recovered within the limit); worker_crash 12.0 / 30.0 s (3 timed)");
    }

    @Test
    void anEntryOfAnEarlierVersionHasNoRecoveryAndIsAFault() {
        ChaosLogEntry old = Json.read("{\"at\":1,\"seed\":2,\"step\":3,\"backend\":\"local\",\"event\":\"worker_crash\",\"target\":\"w\",\"outcome\":\"injected\",\"detail\":\"\"}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), ChaosLogEntry.class);
        assertThat(old.recovery()).isNull();
        assertThat(old.fault()).isTrue();
    }
}

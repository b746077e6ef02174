package io.natsoak.chaos;

import io.natsoak.model.FaultRecovery;
import io.natsoak.model.Progress;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RecoveryWatchTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final long LIMIT = 300_000;

    /** The cluster is current unless a test says otherwise. */
    private String clusterProblem;
    private final RecoveryWatch watch = new RecoveryWatch(LIMIT, () -> Optional.ofNullable(clusterProblem));
    private long published;
    private long verified;
    private final List<RecoveryWatch.Done<String>> done = new ArrayList<>();

    /** One progress point a second from {@code fromSecond} to {@code toSecond} (exclusive) at the given rates, checking every second. */
    private void run(int fromSecond, int toSecond, long publishPerSecond, long verifyPerSecond) {
        for (int s = fromSecond; s < toSecond; s++) {
            published += publishPerSecond;
            verified += verifyPerSecond;
            long at = T0 + s * 1000L;
            watch.onProgress(new Progress(at, published, verified));
            done.addAll(watch.<String>check(at));
        }
    }

    private FaultRecovery recoveryOf(String fault) {
        return done.stream().filter(d -> d.fault().equals(fault)).findFirst().orElseThrow().recovery();
    }

    @Test
    void aWorkerCrashRecoversWhenTheVerifiedRateIsBackAndTheClusterCurrent() {
        run(0, 60, 250, 250);
        watch.injected("worker_crash", T0 + 60_000);
        run(60, 72, 250, 0);        // its partitions wait for a new owner: nothing verified for 12 s
        run(72, 80, 250, 600);      // the new owner catches up
        run(80, 100, 250, 250);
        FaultRecovery r = recoveryOf("worker_crash");
        assertThat(r.recovered()).isTrue();
        assertThat(r.clusterCurrentSeconds()).isEqualTo(0.0);
        assertThat(r.publishingSeconds()).isEqualTo(5.0);
        // The first 5 s window at 80 % of 250/s ends at second 73: [68, 73] holds two seconds of catch-up (1,200 in 5 s).
        assertThat(r.verifiedSeconds()).isEqualTo(13.0);
        assertThat(r.healthySeconds()).isEqualTo(r.verifiedSeconds());
        assertThat(watch.pending()).isZero();
    }

    @Test
    void aNodeKillRecoversOnlyOnceTheClusterIsCurrentAgain() {
        run(0, 60, 250, 250);
        watch.injected("nats_node_kill", T0 + 60_000);
        clusterProblem = "stream X: replica on n1 is offline";
        run(60, 90, 250, 250);
        assertThat(done).isEmpty();
        clusterProblem = null;
        run(90, 95, 250, 250);
        FaultRecovery r = recoveryOf("nats_node_kill");
        assertThat(r.healthySeconds()).isEqualTo(30.0);
        assertThat(r.clusterCurrentSeconds()).isEqualTo(30.0);
        assertThat(r.publishingSeconds()).isEqualTo(5.0);
    }

    @Test
    void aFaultThatHurtsNothingRecoversAtItsFirstWholeWindow() {
        run(0, 60, 250, 250);
        watch.injected("worker_restart", T0 + 60_000);
        run(60, 70, 250, 250);
        assertThat(recoveryOf("worker_restart").healthySeconds()).isEqualTo(5.0);
    }

    @Test
    void aRunThatNeverVerifiesAgainIsNotRecoveredWithinTheLimit() {
        run(0, 60, 250, 250);
        watch.injected("verifier_restart", T0 + 60_000);
        run(60, 60 + 301, 250, 0);
        FaultRecovery r = recoveryOf("verifier_restart");
        assertThat(r.recovered()).isFalse();
        assertThat(r.verifiedSeconds()).isNull();
        assertThat(r.publishingSeconds()).isEqualTo(5.0);
        assertThat(r.describe()).startsWith("not healthy again within 300 s").contains("verified rate not seen");
    }

    @Test
    void aFaultDuringAnotherKeepsTheRateBeforeTheFirst() {
        run(0, 60, 250, 250);
        watch.injected("worker_crash", T0 + 60_000);
        run(60, 90, 250, 100);      // hurt: 100/s verified
        watch.injected("scale_down", T0 + 90_000);
        run(90, 120, 250, 100);     // 100/s is 40 % of the rate before the first fault: neither has recovered
        assertThat(done).isEmpty();
        run(120, 130, 250, 250);
        // [118, 123]: one second at 100, four at 250 = 220/s, the first window at 80 % of 250/s.
        assertThat(recoveryOf("worker_crash").healthySeconds()).isEqualTo(63.0);
        assertThat(recoveryOf("scale_down").healthySeconds()).isEqualTo(33.0);
    }

    @Test
    void theRunsEndAbandonsWhatIsStillRecovering() {
        run(0, 60, 250, 250);
        watch.injected("producer_crash", T0 + 60_000);
        run(60, 62, 0, 0);
        assertThat(watch.abandon()).isEqualTo(1);
        run(62, 400, 0, 0);
        assertThat(done).isEmpty();
    }
}

package io.natsoak.assign;

import io.natsoak.config.ManagerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The handoff rule and the planner's bookkeeping (who the new owner of each partition waits for). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HandoffPlannerTest {

    private static final Wire.MemberRef A = new Wire.MemberRef("worker-0", 10);
    private static final Wire.MemberRef B = new Wire.MemberRef("worker-1", 11);
    private static final Wire.MemberRef C = new Wire.MemberRef("worker-2", 12);
    private static final PartitionAssigner STATIC = new StaticStrategy();

    private static double[] uniform(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1);
        return w;
    }

    private static Wire.Release record(long inc, long asOf, int... held) {
        return new Wire.Release(inc, asOf, held, false, null, 0, List.of());
    }

    private static Wire.Release gone(long inc) {
        return new Wire.Release(inc, 0, new int[0], true, "evicted", 0, List.of());
    }

    @Test
    void aPartitionIsReleasedOnlyByAConfirmationOfTheSameIncarnationAsOfTheMoveOrByItsEnd() {
        Wire.WaitFor w = new Wire.WaitFor("worker-0", 10, 5);
        assertThat(Handoff.confirmed(w, 3, Map.of())).as("no record yet").isFalse();
        assertThat(Handoff.confirmed(w, 3, Map.of("worker-0", record(9, 99)))).as("older incarnation's record").isFalse();
        assertThat(Handoff.confirmed(w, 3, Map.of("worker-0", record(10, 4)))).as("has not applied the move yet").isFalse();
        assertThat(Handoff.confirmed(w, 3, Map.of("worker-0", record(10, 5, 1, 3)))).as("still holds it").isFalse();
        assertThat(Handoff.confirmed(w, 3, Map.of("worker-0", record(10, 5, 1, 2)))).as("released as of the move").isTrue();
        assertThat(Handoff.confirmed(w, 3, Map.of("worker-0", record(10, 7)))).as("released, later version").isTrue();
        assertThat(Handoff.confirmed(w, 3, Map.of("worker-0", gone(10)))).as("gone").isTrue();
        assertThat(Handoff.confirmed(w, 3, Map.of("worker-0", record(11, 0)))).as("a newer incarnation exists").isTrue();
    }

    @Test
    void theFirstAssignmentWaitsForNobody() {
        Wire.Assignment a = Planner.next(null, List.of(B, A), uniform(6), STATIC, Map.of(), Map.of(), "worker-0", "cold-start", 1000);
        assertThat(a.version()).isEqualTo(1);
        assertThat(a.members()).containsExactly(A, B);
        assertThat(a.partitionsOf("worker-0", 10)).containsExactly(0, 2, 4);
        assertThat(a.partitionsOf("worker-0", 99)).as("another incarnation of the id gets nothing").isEmpty();
        assertThat(a.waitFor()).isEmpty();
        assertThat(a.moves()).isEmpty();
    }

    @Test
    void aMovedPartitionWaitsForItsPreviousOwnerAndCarriesItsRecoveryClock() {
        Wire.Assignment v1 = Planner.next(null, List.of(A, B), uniform(6), STATIC, Map.of(), Map.of(), "worker-0", "cold-start", 1000);
        Wire.Assignment v2 = Planner.next(v1, List.of(A, B, C), uniform(6), STATIC, Map.of(), Map.of(), "worker-0", "planned", 2000);
        // static over 3: p mod 3; before p mod 2
        for (int p = 0; p < 6; p++) {
            Wire.MemberRef before = v1.ownerOf(p);
            Wire.MemberRef after = v2.ownerOf(p);
            if (before.equals(after)) {
                assertThat(v2.waitFor(p)).isEmpty();
                assertThat(v2.moves()).doesNotContainKey(p);
            } else {
                assertThat(v2.waitFor(p)).containsExactly(new Wire.WaitFor(before.id(), before.inc(), 2));
                assertThat(v2.moves().get(p)).isEqualTo(new Wire.Move(before.id(), before.inc(), 2000, "planned", 2));
            }
        }
    }

    @Test
    void aChainOfMovesKeepsEveryPossibleHolderUntilConfirmed() {
        // p=1: A (v1) -> B (v2) -> C (v3), nobody confirmed anything.
        Wire.Assignment v1 = Planner.next(null, List.of(A), uniform(2), STATIC, Map.of(), Map.of(), "worker-0", "cold-start", 0);
        Wire.Assignment v2 = Planner.next(v1, List.of(A, B), uniform(2), STATIC, Map.of(), Map.of(), "worker-0", "planned", 0);
        assertThat(v2.ownerOf(1)).isEqualTo(B);
        Map<String, Wire.Release> releases = new HashMap<>();
        Wire.Assignment v3 = Planner.next(v2, List.of(A, C), uniform(2), STATIC, releases, Map.of(), "worker-0", "planned", 0);
        assertThat(v3.ownerOf(1)).isEqualTo(C);
        assertThat(v3.waitFor(1)).containsExactlyInAnyOrder(new Wire.WaitFor("worker-0", 10, 2), new Wire.WaitFor("worker-1", 11, 3));
        // A confirms as of v2 that it no longer holds 1: it is dropped at the next version; B still listed.
        releases.put("worker-0", record(10, 2, 0));
        Wire.Assignment v4 = Planner.next(v3, List.of(A, C), uniform(2), STATIC, releases, Map.of(), "worker-0", "planned", 0);
        assertThat(v4.waitFor(1)).containsExactly(new Wire.WaitFor("worker-1", 11, 3));
        // B is gone: nothing left to wait for.
        releases.put("worker-1", gone(11));
        Wire.Assignment v5 = Planner.next(v4, List.of(A, C), uniform(2), STATIC, releases, Map.of(), "worker-0", "planned", 0);
        assertThat(v5.waitFor()).isEmpty();
    }

    @Test
    void aPartitionComingBackDoesNotMakeItsOwnerWaitForItself() {
        Wire.Assignment v1 = Planner.next(null, List.of(A), uniform(2), STATIC, Map.of(), Map.of(), "worker-0", "cold-start", 0);
        Wire.Assignment v2 = Planner.next(v1, List.of(A, B), uniform(2), STATIC, Map.of(), Map.of(), "worker-0", "planned", 0);
        Wire.Assignment v3 = Planner.next(v2, List.of(A), uniform(2), STATIC, Map.of(), Map.of(), "worker-0", "planned", 0);
        assertThat(v3.ownerOf(1)).isEqualTo(A);
        assertThat(v3.waitFor(1)).containsExactly(new Wire.WaitFor("worker-1", 11, 3));
    }

    @Test
    void aNewIncarnationOfTheSameIdWaitsForTheOldOne() {
        Wire.MemberRef a2 = new Wire.MemberRef("worker-0", 20);
        Wire.Assignment v1 = Planner.next(null, List.of(A), uniform(2), STATIC, Map.of(), Map.of(), "worker-0", "cold-start", 0);
        Map<Wire.MemberRef, Planner.Departed> departed = Map.of(A, new Planner.Departed(500, "emergency"));
        Wire.Assignment v2 = Planner.next(v1, List.of(a2), uniform(2), STATIC, Map.of(), departed, "worker-0", "emergency", 900);
        assertThat(v2.waitFor(0)).containsExactly(new Wire.WaitFor("worker-0", 10, 2));
        assertThat(v2.moves().get(0)).isEqualTo(new Wire.Move("worker-0", 10, 500, "emergency", 2));
        assertThat(v2.departures()).hasSize(1);
        Wire.Departure d = v2.departures().get(0);
        assertThat(d.id()).isEqualTo("worker-0");
        assertThat(d.partitions()).containsExactly(0, 1);
        // The new incarnation's first record proves the old one is fenced.
        assertThat(Handoff.confirmed(v2.waitFor(0).get(0), 0, Map.of("worker-0", record(20, 0)))).isTrue();
    }

    @Test
    void aDepartureCompletesWhenEveryPartitionWasConsumedAfterTheMove() {
        Wire.Departure d = new Wire.Departure("worker-1", 11, 1000, "emergency", 4, new int[] {1, 3});
        Map<String, Wire.Release> releases = new HashMap<>();
        releases.put("worker-0", new Wire.Release(10, 4, new int[] {1}, false, null, 0,
                List.of(new Wire.Consumed(1, 4, 1500), new Wire.Consumed(3, 2, 900))));
        assertThat(Planner.completedAt(d, releases)).as("partition 3 only consumed before the move").isEqualTo(-1);
        releases.put("worker-2", new Wire.Release(12, 5, new int[] {3}, false, null, 0, List.of(new Wire.Consumed(3, 5, 2500))));
        assertThat(Planner.completedAt(d, releases)).isEqualTo(2500);
    }

    @Test
    void recordsSurviveTheirJsonRoundTrip() {
        Wire.Assignment v1 = Planner.next(null, List.of(A, B), uniform(4), STATIC, Map.of(), Map.of(), "worker-0", "cold-start", 0);
        Map<Wire.MemberRef, Planner.Departed> departed = Map.of(B, new Planner.Departed(5, "emergency"));
        Wire.Assignment v2 = Planner.next(v1, List.of(A, C), uniform(4), STATIC, Map.of(), departed, "worker-0", "emergency", 7);
        Wire.Assignment back = Wire.Assignment.decode(v2.encode());
        assertThat(back.version()).isEqualTo(2);
        assertThat(back.members()).isEqualTo(v2.members());
        assertThat(back.owners()).containsExactly(v2.owners());
        assertThat(back.waitFor()).isEqualTo(v2.waitFor());
        assertThat(back.moves()).isEqualTo(v2.moves());
        assertThat(back.departures()).hasSize(1);
        assertThat(back.departures().get(0).partitions()).containsExactly(v2.departures().get(0).partitions());
        Wire.Release r = new Wire.Release(10, 3, new int[] {1, 5}, false, null, 9, List.of(new Wire.Consumed(5, 3, 11)));
        Wire.Release rb = Wire.Release.decode(r.encode());
        assertThat(rb.held()).containsExactly(1, 5);
        assertThat(rb.consumed()).containsExactly(new Wire.Consumed(5, 3, 11));
        assertThat(rb.holds(5)).isTrue();
        assertThat(rb.holds(2)).isFalse();
    }

    @Test
    void settingsRejectIncoherentTimings() {
        ManagerSettings d = ManagerSettings.defaults(10);
        assertThat(d.lease()).isEqualTo(java.time.Duration.ofMillis(4500));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.withHeartbeat(java.time.Duration.ofSeconds(2),
                java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(500))).isInstanceOf(IllegalArgumentException.class);
        ManagerSettings fast = d.withHeartbeat(java.time.Duration.ofSeconds(2), java.time.Duration.ofMillis(250), java.time.Duration.ofMillis(300));
        assertThat(fast.requestTimeout()).isEqualTo(java.time.Duration.ofMillis(1450));
    }
}

package io.natsoak.assign;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manager's parts on in-memory buckets and a fake clock: holdings, rebalancing, departures
 * and lease expiry, each in milliseconds (PartitionManagerIT covers the same against NATS).
 */
class PartitionManagerPartsTest {

    private static final Set<Integer> ALL = IntStream.range(0, TestGroup.SETTINGS.partitions()).boxed().collect(Collectors.toSet());
    private final TestGroup group = new TestGroup();

    @AfterEach
    void tearDown() {
        group.close();
    }

    @Test
    void theFirstLeaderPublishesOnlyAfterTheColdStartWindowAndEveryPartitionGetsOneOwner() throws Exception {
        TestGroup.Member a = group.join("a");
        TestGroup.Member b = group.join("b");
        group.run(Duration.ofMillis(750));
        assertThat(a.run.view.current()).as("no record inside the cold-start window").isNull();

        group.run(Duration.ofMillis(750));

        assertThat(a.run.election.isLeader() ^ b.run.election.isLeader()).as("exactly one leader").isTrue();
        assertThat(a.owned()).isNotEmpty();
        assertThat(b.owned()).isNotEmpty();
        assertThat(union(a.owned(), b.owned())).isEqualTo(ALL);
        assertThat(group.doublyOwned()).isEmpty();
    }

    @Test
    void aRevokedPartitionIsGrantedToItsNewOwnerOnlyAfterTheOldOneReleasedIt() throws Exception {
        TestGroup.Member a = group.join("a");
        group.run(Duration.ofMillis(1500));
        assertThat(a.owned()).isEqualTo(ALL);

        TestGroup.Member b = group.join("b");
        group.run(Duration.ofMillis(1000)); // past the planned window

        assertThat(a.revoked).as("the planned rebalance revoked part of a's partitions").isNotEmpty();
        Set<Integer> moving = Set.copyOf(a.revoked);
        assertThat(a.owned()).as("a keeps them until it released them").containsAll(moving);
        assertThat(b.owned()).as("b waits for a's release").doesNotContainAnyElementsOf(moving);
        assertThat(b.run.holdings.pendingPartitions()).containsAll(moving);

        a.releaseRevoked();
        group.settle();

        assertThat(a.owned()).doesNotContainAnyElementsOf(moving);
        assertThat(b.owned()).containsAll(moving);
        assertThat(b.granted).containsAll(moving);
        assertThat(group.doublyOwned()).isEmpty();
    }

    @Test
    void aSilentMemberStopsOwningAtTheEndOfItsLeaseAndIsEvictedOnlyAfterTtlPlusGrace() throws Exception {
        TestGroup.Member a = group.join("a");
        TestGroup.Member b = group.join("b");
        group.run(Duration.ofMillis(1500));
        TestGroup.Member leader = a.run.election.isLeader() ? a : b;
        TestGroup.Member silent = leader == a ? b : a;
        Set<Integer> silentHeld = Set.copyOf(silent.owned());

        silent.freeze(); // no renewal, no loop task from now on
        group.run(TestGroup.SETTINGS.lease().minusMillis(300));
        assertThat(silentHeld).isNotEmpty();
        assertThat(silent.owned()).as("still inside its lease").isEqualTo(silentHeld);

        group.run(Duration.ofMillis(300));
        assertThat(silent.run.member.valid()).as("lease over (T - M after its last renewal)").isFalse();
        assertThat(silent.owned()).isEmpty();
        assertThat(leader.owned()).as("nobody takes over before T + G").doesNotContainAnyElementsOf(silentHeld);

        group.run(TestGroup.SETTINGS.evictAfter());

        assertThat(leader.owned()).isEqualTo(ALL);
        assertThat(group.doublyOwned()).isEmpty();
        silent.thaw();
        group.settle();
        assertThat(silent.fenced).as("once awake, the silent member is told it lost them").isEqualTo(silentHeld);
    }

    @Test
    void aRenewalAcknowledgedAfterTheLeaseEndedDoesNotReviveIt() throws Exception {
        TestGroup.Member a = group.join("a");
        Lease lease = a.run.member.current();
        InMemoryBucket members = (InMemoryBucket) group.buckets.members();
        members.beforeWrite = () -> group.advance(TestGroup.SETTINGS.lease()); // the acknowledgement comes too late

        a.run.member.renew(lease);

        assertThat(lease.lapsed).isTrue();
        assertThat(a.run.member.valid()).isFalse();
    }

    @Test
    void renewalsThatFailUntilTheLeaseEndsFenceTheMemberAndItRejoinsAsANewIncarnation() throws Exception {
        TestGroup.Member a = group.join("a");
        group.run(Duration.ofMillis(1500));
        assertThat(a.owned()).isEqualTo(ALL);
        long firstIncarnation = a.run.member.current().inc;
        InMemoryBucket members = (InMemoryBucket) group.buckets.members();

        members.unreachableKey = a.run.member.current().holder; // its renewals time out for longer than the lease
        group.run(TestGroup.SETTINGS.lease().plusMillis(250));
        members.unreachableKey = null;
        group.run(Duration.ofMillis(500));

        assertThat(a.fenced).isEqualTo(ALL);
        assertThat(a.run.member.current()).isNotNull();
        assertThat(a.run.member.current().inc).as("a new incarnation").isGreaterThan(firstIncarnation);
    }

    @Test
    void aGracefulLeaveHandsItsPartitionsOverWithoutWaitingForTheTtl() throws Exception {
        TestGroup.Member a = group.join("a");
        TestGroup.Member b = group.join("b");
        group.run(Duration.ofMillis(1500));
        TestGroup.Member leaving = a.run.election.isLeader() ? b : a;
        TestGroup.Member staying = leaving == a ? b : a;
        Set<Integer> given = Set.copyOf(leaving.owned());

        Thread stop = new Thread(leaving::leaveCleanly, "test-leave");
        stop.start();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> leaving.revoked.containsAll(given));
        leaving.releaseRevoked();
        stop.join(10_000);
        group.members.remove(leaving);
        group.run(Duration.ofMillis(1000)); // the planned window, far less than T + G

        assertThat(staying.owned()).isEqualTo(ALL);
        assertThat(group.doublyOwned()).isEmpty();
    }

    private static Set<Integer> union(Set<Integer> x, Set<Integer> y) {
        Set<Integer> all = new TreeSet<>(x);
        all.addAll(y);
        return all;
    }
}

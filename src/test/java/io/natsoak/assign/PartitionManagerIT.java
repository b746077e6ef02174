package io.natsoak.assign;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.natsoak.config.ManagerSettings;
import io.natsoak.lifecycle.Component;
import io.natsoak.model.Json;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.NatsServerVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The partition manager against a real 3-node nats-server cluster, with several in-JVM members
 * (each with its own connection), short timings (TTL 2 s) and a "processor" per member that
 * keeps asking {@link PartitionManager#owns} for every partition, as a worker does before each
 * pull. Every test ends by checking that no two members ever owned the same partition at the
 * same instant.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PartitionManagerIT {

    private static final int PARTITIONS = 24;
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration INTERVAL = Duration.ofMillis(250);
    private static final Duration MARGIN = Duration.ofMillis(300);
    private static final Duration GRACE = Duration.ofMillis(500);
    private static final ManagerSettings SETTINGS = ManagerSettings.defaults(PARTITIONS)
            .withHeartbeat(TTL, INTERVAL, MARGIN)
            .withEmergencyGrace(GRACE)
            .withRebalancing(Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofSeconds(1))
            .withReleaseTimeout(Duration.ofSeconds(5));
    /** A listener takes this long to finish its in-flight work after a revoke. */
    private static final long RELEASE_DELAY_MS = 50;

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    private final List<Member> members = new CopyOnWriteArrayList<>();
    private final Ownership ownership = new Ownership();

    @AfterEach
    void tearDown() {
        for (Member m : members) {
            m.close();
        }
        members.clear();
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void joinsAndGracefulLeavesKeepExactlyOneOwnerAndMoveWithoutWaitingForTheTtl() throws Exception {
        String run = nats.uniqueName("JOIN");
        Member a = start(run, "a");
        Member b = start(run, "b");
        Member c = start(run, "c");
        awaitSteady(List.of(a, b, c), 3);

        Member d = start(run, "d");
        awaitSteady(List.of(a, b, c, d), 4);
        assertThat(d.manager.owned()).as("the newcomer got partitions").isNotEmpty();

        // A graceful stop of a member that is not the leader.
        Member leaver = List.of(a, b, c, d).stream().filter(m -> !m.manager.isLeader()).findFirst().orElseThrow();
        Set<Integer> itsPartitions = new TreeSet<>(leaver.manager.owned());
        long t0 = System.nanoTime();
        leaver.stop();
        List<Member> rest = new ArrayList<>(List.of(a, b, c, d));
        rest.remove(leaver);
        awaitSteady(rest, 3);
        long plannedMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(leaver.listener.ended).as("released through revoke, not fenced").isEmpty();
        report("graceful leave (member): %d partitions moved in %d ms (TTL %d ms)", itsPartitions.size(), plannedMs, TTL.toMillis());
        assertThat(plannedMs).as("no TTL wait").isLessThan(TTL.toMillis());

        // A graceful stop of the leader: the leader key is deleted, another member takes over at once.
        Member leader = rest.stream().filter(m -> m.manager.isLeader()).findFirst().orElseThrow();
        long t1 = System.nanoTime();
        leader.stop();
        rest.remove(leader);
        awaitSteady(rest, 2);
        long leaderLeaveMs = (System.nanoTime() - t1) / 1_000_000;
        report("graceful leave (leader): new leader and partitions moved in %d ms", leaderLeaveMs);
        assertThat(leaderLeaveMs).as("no TTL wait").isLessThan(TTL.toMillis());

        ownership.assertNoOverlap();
    }

    /**
     * nats-server 2.9 does not check "expect no entry" on the leader before replicating it; on a key
     * that has an entry every replica refuses it, and refused replicated writes are what a
     * restarted node counts wrong, after which the replicas number the bucket differently
     * (docs/partition-manager.md). A spy on the buckets' subjects sees every write the members
     * send. Once a group stands, a leader's graceful leave (an election over the deleted key) and
     * a newcomer (a join that passes taken ids) must not send one such write. jnats'
     * {@code KeyValue.create} sends exactly that, and with it this test fails.
     */
    @Test
    void electionsAndJoinsNeverExpectNoEntryOnAKeyThatHasOne() throws Exception {
        String run = nats.uniqueName("NOCREATE");
        AssignNames names = new AssignNames(run);
        Set<String> written = ConcurrentHashMap.newKeySet();
        List<String> blind = new CopyOnWriteArrayList<>();
        AtomicInteger noEntryWrites = new AtomicInteger();
        try (Connection spy = Nats.connect(new Options.Builder().servers(nats.urls().toArray(String[]::new))
                .connectionName("it-spy").errorListener(new ErrorListener() { }).build())) {
            Dispatcher d = spy.createDispatcher(m -> {
                String expected = m.getHeaders() == null ? null : m.getHeaders().getFirst("Nats-Expected-Last-Subject-Sequence");
                if ("0".equals(expected)) {
                    noEntryWrites.incrementAndGet();
                    if (written.contains(m.getSubject())) {
                        blind.add(m.getSubject());
                    }
                }
                written.add(m.getSubject());
            });
            d.subscribe("$KV." + names.membersBucket() + ".>");
            d.subscribe("$KV." + names.leaderBucket() + ".>");
            spy.flush(Duration.ofSeconds(2));

            Member a = start(run, "a");
            Member b = start(run, "b");
            Member c = start(run, "c");
            awaitSteady(List.of(a, b, c), 3);
            assertThat(noEntryWrites.get()).as("the spy sees the first writes of fresh keys").isPositive();
            blind.clear(); // three members racing for a never-written leader key may send one each

            Member leader = List.of(a, b, c).stream().filter(m -> m.manager.isLeader()).findFirst().orElseThrow();
            leader.stop();
            List<Member> rest = new ArrayList<>(List.of(a, b, c));
            rest.remove(leader);
            awaitSteady(rest, 2);
            Member d2 = start(run, "d");
            rest.add(d2);
            awaitSteady(rest, 3);
            spy.flush(Duration.ofSeconds(2));
            assertThat(blind).as("writes expecting no entry on keys that had one").isEmpty();
        }
        ownership.assertNoOverlap();
    }

    /**
     * A member that dies between its joining write and its incarnation stamp leaves a key whose
     * heartbeat names no incarnation. That is not a member: the leader never gives it partitions
     * and frees the key after T + G. Before the stamp existed the leader took the key's revision
     * for the incarnation (a number that a drifted replica does not even share with the stream
     * leader), so the next rebalance handed partitions to the dead joiner and they waited for its
     * eviction; this test then fails on the first assignment that names it.
     */
    @Test
    void aJoiningWriteWithoutItsIncarnationIsNeverGivenPartitionsAndItsKeyIsFreed() throws Exception {
        String run = nats.uniqueName("GHOST");
        AssignNames names = new AssignNames(run);
        Member a = start(run, "a");
        Member b = start(run, "b");
        awaitSteady(List.of(a, b), 2);
        long before = a.manager.appliedVersion();
        try (Connection c = Nats.connect(nats.urls().get(0))) {
            KeyValue membersKv = c.keyValue(names.membersBucket());
            KeyValue assignmentKv = c.keyValue(names.assignmentBucket());
            membersKv.put("worker-7", Json.write(new Wire.Heartbeat("worker-7", 0, "ghost", 0, System.currentTimeMillis(), "ghost")));
            long until = System.nanoTime() + TTL.plus(GRACE).multipliedBy(2).toNanos();
            while (System.nanoTime() < until) {
                Wire.Assignment current = Wire.Assignment.decode(assignmentKv.get(AssignNames.ASSIGNMENT_KEY).getValue());
                assertThat(current.members()).extracting(Wire.MemberRef::id).as("version %d", current.version()).doesNotContain("worker-7");
                Thread.sleep(50);
            }
            await().atMost(TTL.plus(GRACE).plusSeconds(3)).until(() -> {
                KeyValueEntry e = membersKv.get("worker-7");
                return e == null || e.getOperation() != KeyValueOperation.PUT;
            });
        }
        assertThat(a.manager.appliedVersion()).as("no rebalance for a key that is not a member").isEqualTo(before);
        awaitSteady(List.of(a, b), 2);
        ownership.assertNoOverlap();
    }

    @Test
    void aKilledMembersPartitionsMoveWithinTtlPlusGraceAndTheRecoveryIsMeasured() throws Exception {
        String run = nats.uniqueName("KILL");
        Member a = start(run, "a");
        Member b = start(run, "b");
        Member c = start(run, "c");
        awaitSteady(List.of(a, b, c), 3);

        Member victim = List.of(a, b, c).stream().filter(m -> !m.manager.isLeader()).findFirst().orElseThrow();
        Set<Integer> orphaned = new TreeSet<>(victim.manager.owned());
        long t0 = System.nanoTime();
        victim.kill();
        List<Member> rest = new ArrayList<>(List.of(a, b, c));
        rest.remove(victim);
        awaitSteady(rest, 2);
        long movedMs = (System.nanoTime() - t0) / 1_000_000;
        report("member killed: %d partitions moved in %d ms (bound TTL + grace = %d ms)", orphaned.size(), movedMs,
                TTL.plus(GRACE).toMillis());
        assertThat(movedMs).isLessThan(TTL.plus(GRACE).toMillis() + 1000);

        Member leader = rest.stream().filter(m -> m.manager.isLeader()).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(leader.recovery(AssignMetricNames.RECOVERY, AssignMetricNames.KIND_EMERGENCY).count()).isEqualTo(1));
        Timer recovery = leader.recovery(AssignMetricNames.RECOVERY, AssignMetricNames.KIND_EMERGENCY);
        long perPartition = rest.stream().mapToLong(m -> m.recovery(AssignMetricNames.PARTITION_RECOVERY, AssignMetricNames.KIND_EMERGENCY).count()).sum();
        report("recovery (last heartbeat to a message consumed on every moved partition): %.0f ms; per-partition samples %d",
                recovery.max(TimeUnit.MILLISECONDS), perPartition);
        assertThat(perPartition).isEqualTo(orphaned.size());
        assertThat(recovery.max(TimeUnit.MILLISECONDS)).isLessThan(TTL.plus(GRACE).toMillis() + 2000);
        assertThat(leader.registry.get(AssignMetricNames.REBALANCES).tag(AssignMetricNames.TAG_KIND, AssignMetricNames.KIND_EMERGENCY)
                .counter().count()).isEqualTo(1);
        ownership.assertNoOverlap();
    }

    @Test
    void aKilledLeaderIsReplacedWithinTheBoundAndAssignmentContinues() throws Exception {
        String run = nats.uniqueName("LEADER");
        Member a = start(run, "a");
        Member b = start(run, "b");
        Member c = start(run, "c");
        awaitSteady(List.of(a, b, c), 3);
        List<Long> failovers = new ArrayList<>();
        List<Member> alive = new ArrayList<>(List.of(a, b, c));
        for (int round = 0; round < 2; round++) {
            Member leader = alive.stream().filter(m -> m.manager.isLeader()).findFirst().orElseThrow();
            long versionBefore = alive.stream().mapToLong(m -> m.manager.appliedVersion()).max().orElseThrow();
            long t0 = System.nanoTime();
            leader.kill();
            alive.remove(leader);
            await().atMost(TTL.plus(INTERVAL).plusSeconds(3)).pollInterval(Duration.ofMillis(10))
                    .until(() -> alive.stream().anyMatch(m -> m.manager.isLeader()));
            long failoverMs = (System.nanoTime() - t0) / 1_000_000;
            failovers.add(failoverMs);
            awaitSteady(alive, alive.size());
            long movedMs = (System.nanoTime() - t0) / 1_000_000;
            report("leader killed (round %d): new leader after %d ms (bound TTL + interval = %d ms), partitions moved after %d ms",
                    round + 1, failoverMs, TTL.plus(INTERVAL).toMillis(), movedMs);
            assertThat(failoverMs).isLessThanOrEqualTo(TTL.plus(INTERVAL).toMillis() + 1000);
            assertThat(alive.get(0).manager.appliedVersion()).as("the new leader published").isGreaterThan(versionBefore);
            if (round == 0) {
                // Keep two members for the second round.
                alive.add(start(run, "d"));
                awaitSteady(alive, alive.size());
            }
        }
        ownership.assertNoOverlap();
    }

    @Test
    void aFrozenMemberStopsOwningBeforeAnyoneElseStartsAndNeverProcessesAMovedPartition() throws Exception {
        String run = nats.uniqueName("FROZEN");
        Member a = start(run, "a");
        Member b = start(run, "b");
        Member c = start(run, "c");
        awaitSteady(List.of(a, b, c), 3);

        Member victim = List.of(a, b, c).stream().filter(m -> !m.manager.isLeader()).findFirst().orElseThrow();
        Set<Integer> its = new TreeSet<>(victim.manager.owned());
        Duration freeze = TTL.multipliedBy(3);
        long t0 = System.nanoTime();
        ManagerProbe.freeze(victim.manager, freeze);

        // While frozen (no renewals, no callbacks), owns() must turn false within the lease by itself.
        await().atMost(SETTINGS.lease().plusMillis(200)).pollInterval(Duration.ofMillis(5))
                .until(() -> its.stream().noneMatch(victim.manager::owns));
        long fencedMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(victim.listener.held()).as("its listener has not been told anything yet (frozen)").containsAll(its);

        List<Member> others = new ArrayList<>(List.of(a, b, c));
        others.remove(victim);
        await().atMost(TTL.plus(GRACE).plusSeconds(3)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            Set<Integer> owned = new HashSet<>();
            others.forEach(m -> owned.addAll(m.manager.owned()));
            assertThat(owned).containsAll(its);
        });
        long takenMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(System.nanoTime() - t0).as("taken over while the victim was still frozen").isLessThan(freeze.toNanos());

        // It wakes up: it is told it was fenced, joins again, and gets partitions through a clean handoff.
        awaitSteady(List.of(a, b, c), 3);
        assertThat(victim.listener.fencedCalls).as("fenced once on waking").isEqualTo(1);
        report("frozen member: stopped owning after %d ms (lease %d ms), others took its %d partitions after %d ms",
                fencedMs, SETTINGS.lease().toMillis(), its.size(), takenMs);
        for (int p : its) {
            long victimLast = ownership.lastTrue(victim.name, p, 0, t0 + freeze.toNanos());
            long othersFirst = others.stream().mapToLong(m -> ownership.firstTrue(m.name, p, t0)).min().orElseThrow();
            assertThat(victimLast).as("partition %d: the frozen member's last ownership precedes the next owner's first", p)
                    .isLessThan(othersFirst);
        }
        ownership.assertNoOverlap();
    }

    @Test
    void heartbeatsPausedPastTheTtlMakeTheMemberFenceItselfAndRejoin() throws Exception {
        String run = nats.uniqueName("PAUSE");
        Member a = start(run, "a");
        Member b = start(run, "b");
        awaitSteady(List.of(a, b), 2);
        Member victim = a.manager.isLeader() ? b : a;
        long incarnation = victim.manager.incarnation();
        ManagerProbe.pauseHeartbeats(victim.manager, TTL.multipliedBy(2));
        await().atMost(TTL.plusSeconds(1)).until(() -> victim.listener.fencedCalls == 1);
        assertThat(victim.manager.owned()).isEmpty();
        await().atMost(TTL.multipliedBy(2).plusSeconds(5)).until(() -> victim.manager.incarnation() > incarnation);
        awaitSteady(List.of(a, b), 2);
        ownership.assertNoOverlap();
    }

    /** On every nats-server version (docs/architecture.md, "Tests: which nats-server versions"). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.natsoak.testing.NatsServerVersion#every")
    void killingTheNatsServerThatLeadsTheMembersBucketNeverMakesTwoOwners(NatsServerVersion version) throws Exception {
        NatsClusterExtension cluster = nats.on(version);
        String run = cluster.uniqueName("NODE");
        Member a = start(cluster, run, "a");
        Member b = start(cluster, run, "b");
        Member c = start(cluster, run, "c");
        awaitSteady(List.of(a, b, c), 3);
        String leaderNode = a.connection.jetStreamManagement()
                .getStreamInfo(AssignNames.stream(new AssignNames(run).membersBucket())).getClusterInfo().getLeader();
        int node = Integer.parseInt(leaderNode.substring(1));
        long t0 = System.nanoTime();
        cluster.cluster().kill(node);
        try {
            awaitSteady(List.of(a, b, c), 3);
            // Give any lapse a chance to happen before judging the steady state.
            Thread.sleep(TTL.toMillis());
            awaitSteady(List.of(a, b, c), 3);
            long steadyMs = (System.nanoTime() - t0) / 1_000_000;
            double fenced = List.of(a, b, c).stream()
                    .mapToDouble(m -> m.registry.get(AssignMetricNames.FENCED).counter().count()).sum();
            report("NATS server %s (members bucket leader) killed: steady again after %d ms; members fenced: %.0f of 3",
                    leaderNode, steadyMs, fenced);
            // Nothing expires in the members bucket: a member that fenced itself during the election and
            // could not delete its key left a stale one, which the leader must delete, or ids would pile
            // up over a long soak.
            KeyValue keys = a.connection.keyValue(new AssignNames(run).membersBucket());
            await().atMost(TTL.plus(GRACE).plusSeconds(10)).ignoreExceptions().untilAsserted(() ->
                    assertThat(keys.keys()).as("member keys after the outage").hasSize(3));
        } finally {
            cluster.cluster().restart(node);
        }
        ownership.assertNoOverlap();
    }

    @Test
    void stopReleasesEveryThreadAndWatchAndTheManagerStartsAgain() throws Exception {
        String run = nats.uniqueName("RESTART");
        Member a = start(run, "a");
        awaitSteady(List.of(a), 1);
        assertThat(a.manager.owned()).hasSize(PARTITIONS);
        assertThat(a.manager.start()).as("start is guarded").isFalse();
        assertThat(assignThreads()).isNotEmpty();

        a.manager.stop();
        assertThat(a.manager.state()).isEqualTo(Component.State.STOPPED);
        assertThat(a.manager.owned()).isEmpty();
        assertThat(assignThreads()).as("stop returns once its threads are gone").isEmpty();

        assertThat(a.manager.start()).isTrue();
        awaitSteady(List.of(a), 1);
        assertThat(a.manager.owned()).hasSize(PARTITIONS);
        a.manager.stop();
        assertThat(assignThreads()).isEmpty();
        assertThat(a.manager.ignoredStarts()).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------
    // Harness

    private static List<String> assignThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith(PartitionManager.COMPONENT + "-")).toList();
    }

    private static void report(String format, Object... args) {
        System.out.println("[partition-manager figure] " + String.format(Locale.ROOT, format, args));
    }

    private Member start(String run, String name) throws Exception {
        return start(nats, run, name);
    }

    private Member start(NatsClusterExtension cluster, String run, String name) throws Exception {
        Member m = new Member(cluster, run, name);
        members.add(m);
        m.start();
        return m;
    }

    /** Every given member applied the same newest version naming exactly them, and every partition has exactly one owner. */
    private void awaitSteady(List<Member> group, int expectedMembers) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            long version = group.get(0).manager.appliedVersion();
            assertThat(version).isPositive();
            for (Member m : group) {
                assertThat(m.manager.appliedVersion()).as(m.name + " version").isEqualTo(version);
                assertThat(ManagerProbe.latestVersion(m.manager)).as(m.name + " latest").isEqualTo(version);
                assertThat(ManagerProbe.assignedMembers(m.manager)).as(m.name + " members").hasSize(expectedMembers);
            }
            int[] owner = new int[PARTITIONS];
            Arrays.fill(owner, -1);
            for (int i = 0; i < group.size(); i++) {
                Member m = group.get(i);
                Set<Integer> owned = m.manager.owned();
                assertThat(m.listener.held()).as(m.name + " listener agrees").isEqualTo(owned);
                assertThat(owned).as(m.name + " holds exactly what the record assigns it").isEqualTo(ManagerProbe.assignedPartitions(m.manager));
                for (int p : owned) {
                    assertThat(owner[p]).as("partition %d owned twice", p).isEqualTo(-1);
                    owner[p] = i;
                }
            }
            assertThat(owner).as("every partition owned").doesNotContain(-1);
        });
    }

    /** One member: its own connection, manager, recording listener and processor thread. */
    private final class Member implements AutoCloseable {
        final String name;
        final String run;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final RecordingListener listener;
        final PartitionManager manager;
        final Connection connection;
        private volatile boolean processing = true;
        private final Thread processor;

        Member(NatsClusterExtension cluster, String run, String name) throws Exception {
            this.run = run;
            this.name = name;
            this.connection = Nats.connect(new Options.Builder().servers(cluster.urls().toArray(String[]::new))
                    .connectionName("it-" + name).maxReconnects(-1).reconnectWait(Duration.ofMillis(200))
                    .errorListener(new ErrorListener() { }).build());
            this.listener = new RecordingListener(name);
            this.manager = new PartitionManager(connection, run, 3, SETTINGS, new WeightedConsistentHashStrategy(100, 1.3),
                    listener, Clock.systemUTC(), registry);
            listener.manager = manager;
            this.processor = new Thread(this::process, "it-processor-" + name);
            processor.setDaemon(true);
        }

        void start() throws Exception {
            manager.start();
            processor.start();
        }

        /** Samples owns() for every partition, as a worker checks before each pull, and "consumes" a message. */
        private void process() {
            while (processing) {
                for (int p = 0; p < PARTITIONS; p++) {
                    long t0 = System.nanoTime();
                    boolean owns = manager.owns(p);
                    long t1 = System.nanoTime();
                    ownership.sample(name, p, t0, t1, owns);
                    if (owns) {
                        manager.firstMessageConsumed(p);
                    }
                }
                LockSupport.parkNanos(2_000_000);
            }
        }

        Timer recovery(String name, String kind) {
            return registry.get(name).tag(AssignMetricNames.TAG_KIND, kind).timer();
        }

        void stop() {
            manager.stop();
            processing = false;
        }

        /** As SIGKILL: the connection drops and nothing runs on the way out. */
        void kill() throws InterruptedException {
            processing = false;
            processor.join();
            connection.close();
            manager.halt();
        }

        @Override
        public void close() {
            processing = false;
            try {
                manager.stop();
                processor.join(2000);
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            listener.close();
        }
    }

    /** Records callbacks; finishes a revoke after a short delay (in-flight work) and then releases. */
    private static final class RecordingListener implements PartitionManager.Listener {
        final String name;
        volatile PartitionManager manager;
        private final Set<Integer> held = ConcurrentHashMap.newKeySet();
        final List<Integer> ended = new CopyOnWriteArrayList<>();
        volatile int fencedCalls;
        private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "it-listener");
            t.setDaemon(true);
            return t;
        });

        RecordingListener(String name) {
            this.name = name;
        }

        Set<Integer> held() {
            return Set.copyOf(held);
        }

        @Override
        public void grant(long version, Set<Integer> partitions) {
            for (int p : partitions) {
                assertThat(held.add(p)).as("%s granted %d twice", name, p).isTrue();
            }
        }

        @Override
        public void revoke(long version, Set<Integer> partitions) {
            Set<Integer> copy = Set.copyOf(partitions);
            worker.schedule(() -> {
                held.removeAll(copy);
                manager.released(version, copy);
            }, RELEASE_DELAY_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void fenced(Set<Integer> partitions) {
            fencedCalls++;
            held.removeAll(partitions);
            ended.addAll(partitions);
        }

        void close() {
            worker.shutdownNow();
        }
    }

    /**
     * Runs of owns() = true per member and partition. A run's interval goes from the end of its first
     * true call to the start of its last one, so the member certainly owned the partition during all
     * of it (a false answer or a gap closes the run): two overlapping runs of different members are
     * two owners at the same instant.
     */
    private static final class Ownership {
        private static final long GAP_NANOS = 100_000_000;

        record Run(String member, int partition, long start, long end) {
        }

        private final Map<String, long[]> open = new ConcurrentHashMap<>();
        private final List<Run> closed = new CopyOnWriteArrayList<>();
        private final Map<String, List<long[]>> trueSamples = new ConcurrentHashMap<>();

        void sample(String member, int p, long t0, long t1, boolean owns) {
            String key = member + "/" + p;
            long[] run = open.get(key);
            if (!owns) {
                if (run != null) {
                    close(member, p, open.remove(key));
                }
                return;
            }
            trueSamples.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(new long[] {t0, t1});
            if (run != null && t0 - run[2] <= GAP_NANOS) {
                run[1] = t0;
                run[2] = t0;
            } else {
                if (run != null) {
                    close(member, p, run);
                }
                open.put(key, new long[] {t1, t0, t0});
            }
        }

        private void close(String member, int p, long[] run) {
            if (run[1] > run[0]) {
                closed.add(new Run(member, p, run[0], run[1]));
            }
        }

        /** Latest start time of a true owns() call by the member for p in [from, to]; 0 if none. */
        long lastTrue(String member, int p, long from, long to) {
            return trueSamples.getOrDefault(member + "/" + p, List.of()).stream()
                    .mapToLong(s -> s[0]).filter(t -> t >= from && t <= to).max().orElse(0);
        }

        /** Earliest end time of a true owns() call by the member for p after {@code from}. */
        long firstTrue(String member, int p, long from) {
            return trueSamples.getOrDefault(member + "/" + p, List.of()).stream()
                    .mapToLong(s -> s[1]).filter(t -> t >= from).min().orElse(Long.MAX_VALUE);
        }

        void assertNoOverlap() {
            List<Run> runs = new ArrayList<>(closed);
            for (Map.Entry<String, long[]> e : open.entrySet()) {
                String[] parts = e.getKey().split("/");
                long[] r = e.getValue();
                if (r[1] > r[0]) {
                    runs.add(new Run(parts[0], Integer.parseInt(parts[1]), r[0], r[1]));
                }
            }
            assertThat(runs).as("ownership was sampled").isNotEmpty();
            for (int p = 0; p < PARTITIONS; p++) {
                int partition = p;
                List<Run> forP = runs.stream().filter(r -> r.partition == partition).toList();
                for (Run x : forP) {
                    for (Run y : forP) {
                        if (!x.member.equals(y.member)) {
                            assertThat(x.start <= y.end && y.start <= x.end)
                                    .as("partition %d owned by %s and %s at the same time (%s, %s)", partition, x.member, y.member, x, y)
                                    .isFalse();
                        }
                    }
                }
            }
        }
    }
}

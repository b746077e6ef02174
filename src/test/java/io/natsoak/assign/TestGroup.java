package io.natsoak.assign;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.natsoak.config.ManagerSettings;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Manager runs (the parts behind {@link PartitionManager}) on in-memory buckets and a fake
 * monotonic clock, driven by the test: heartbeats and ticks run only when the test says so, and
 * {@link #settle} waits until every loop has nothing left to do. No NATS, no sleeping.
 */
final class TestGroup implements AutoCloseable {

    static final ManagerSettings SETTINGS = ManagerSettings.defaults(12)
            .withHeartbeat(Duration.ofSeconds(2), Duration.ofMillis(250), Duration.ofMillis(300))
            .withEmergencyGrace(Duration.ofMillis(500))
            .withRebalancing(Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofSeconds(1));

    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final GroupBuckets buckets = new GroupBuckets(new InMemoryBucket(), new InMemoryBucket(), new InMemoryBucket(), new InMemoryBucket());
    final List<Member> members = new CopyOnWriteArrayList<>();

    /** One member and what its listener was told. */
    final class Member implements PartitionManager.Listener {
        final ManagerRun run;
        final Set<Integer> granted = ConcurrentHashMap.newKeySet();
        final Set<Integer> revoked = ConcurrentHashMap.newKeySet();
        final Set<Integer> fenced = ConcurrentHashMap.newKeySet();
        volatile long revokedVersion;
        /** While set, this member's threads do nothing (a frozen process): its loop waits on it. */
        volatile java.util.concurrent.CountDownLatch frozen;

        Member(String name) {
            run = new ManagerRun(null, new AssignNames("unit"), buckets, SETTINGS, new StaticStrategy(), this, Clock.systemUTC(),
                    nanos::get, new ManagerMetrics(new SimpleMeterRegistry()), name, () -> uniformWeights());
        }

        @Override
        public void grant(long version, Set<Integer> partitions) {
            granted.addAll(partitions);
        }

        @Override
        public void revoke(long version, Set<Integer> partitions) {
            revoked.addAll(partitions);
            revokedVersion = version;
        }

        @Override
        public void fenced(Set<Integer> partitions) {
            fenced.addAll(partitions);
        }

        /** What {@link PartitionManager#owns} answers, partition by partition. */
        Set<Integer> owned() {
            return run.member.valid() ? run.holdings.heldView() : Set.of();
        }

        /** The listener finished every revoke so far. */
        void releaseRevoked() {
            run.released(revokedVersion, new TreeSet<>(revoked));
            revoked.clear();
        }

        /** Freezes the process: no heartbeat, and the loop blocked until {@link #thaw}. */
        void freeze() {
            java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);
            frozen = latch;
            run.loop.execute(() -> {
                try {
                    latch.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        void thaw() {
            java.util.concurrent.CountDownLatch latch = frozen;
            frozen = null;
            latch.countDown();
        }

        boolean running() {
            return frozen == null;
        }

        void leaveCleanly() {
            run.stop(true);
        }
    }

    private static double[] uniformWeights() {
        double[] w = new double[SETTINGS.partitions()];
        java.util.Arrays.fill(w, 1.0);
        return w;
    }

    /** A new member joins: its loop starts, its views load from the buckets, it claims an id. */
    Member join(String name) throws Exception {
        Member m = new Member(name);
        members.add(m);
        ManagerRun r = m.run;
        r.loop.open();
        r.loop.start();
        watch((InMemoryBucket) buckets.members(), r, r::member);
        r.loop.post(r::membersLoaded);
        watch((InMemoryBucket) buckets.releases(), r, r::release);
        watch((InMemoryBucket) buckets.assignment(), r, r::assignment);
        r.loop.post(r::assignmentLoaded);
        watch((InMemoryBucket) buckets.leader(), r, r::leader);
        MemberLease.Joined joined = r.member.join();
        r.loop.call(() -> r.install(joined), Duration.ofSeconds(10), false);
        settle();
        return m;
    }

    private static void watch(InMemoryBucket bucket, ManagerRun r, java.util.function.Consumer<KvEntry> handler) {
        bucket.watch(e -> r.loop.post(() -> handler.accept(e)));
    }

    /** Moves the fake monotonic clock. */
    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    /** One heartbeat round (renewals, elections) of every beating member, then one loop tick each, then settle. */
    void round() {
        for (Member m : members) {
            if (m.running()) {
                m.run.heartbeat.tick();
            }
        }
        settle();
        for (Member m : members) {
            if (!m.running()) {
                continue;
            }
            m.run.loop.call(() -> {
                m.run.tick();
                return true;
            }, Duration.ofSeconds(10), false);
        }
        settle();
    }

    /** Rounds every heartbeat interval for {@code d} of fake time. */
    void run(Duration d) {
        Duration step = SETTINGS.heartbeatInterval();
        for (long left = d.toNanos(); left > 0; left -= step.toNanos()) {
            advance(step);
            round();
        }
    }

    /** Waits until no loop has work left and no bucket changed during a full pass. */
    void settle() {
        long before;
        do {
            before = writes();
            for (Member m : members) {
                if (m.running()) {
                    m.run.loop.call(() -> true, Duration.ofSeconds(10), false);
                }
            }
        } while (writes() != before);
    }

    private long writes() {
        long n = 0;
        for (KvBucket b : List.of(buckets.members(), buckets.leader(), buckets.assignment(), buckets.releases())) {
            n += ((InMemoryBucket) b).sequence();
        }
        return n;
    }

    /** No partition is owned by two members at this instant. */
    List<Integer> doublyOwned() {
        List<Integer> twice = new ArrayList<>();
        Set<Integer> seen = new TreeSet<>();
        for (Member m : members) {
            for (int p : m.owned()) {
                if (!seen.add(p)) {
                    twice.add(p);
                }
            }
        }
        return twice;
    }

    @Override
    public void close() {
        for (Member m : members) {
            if (!m.running()) {
                m.thaw();
            }
            m.run.stop(false);
        }
    }
}

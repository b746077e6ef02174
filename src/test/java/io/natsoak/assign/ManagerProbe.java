package io.natsoak.assign;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.LockSupport;

/** Test views of a running manager and the faults a test injects into it, through its package-private seams. */
final class ManagerProbe {

    private ManagerProbe() {
    }

    /** The member ids of the newest assignment record this member has seen. */
    static List<String> assignedMembers(PartitionManager m) {
        ManagerRun r = m.run();
        return r == null ? List.of() : r.view.assignedMembers();
    }

    /** The partitions the newest record assigns to this member's incarnation. */
    static Set<Integer> assignedPartitions(PartitionManager m) {
        ManagerRun r = m.run();
        Wire.Assignment a = r == null ? null : r.view.latest();
        Lease l = r == null ? null : r.member.current();
        return a == null || l == null ? Set.of() : Set.copyOf(a.partitionsOf(l.holder, l.inc));
    }

    /** The newest assignment version this member has seen (applied or not). */
    static long latestVersion(PartitionManager m) {
        ManagerRun r = m.run();
        Wire.Assignment a = r == null ? null : r.view.latest();
        return a == null ? 0 : a.version();
    }

    /** Renewals are skipped for {@code d} (as if they failed); the loop keeps running. */
    static void pauseHeartbeats(PartitionManager m, Duration d) {
        m.run().heartbeat.pauseUntil(System.nanoTime() + d.toNanos());
    }

    /**
     * Simulates a frozen process (a long GC pause, SIGSTOP) for {@code d}: no renewal, and the loop
     * thread is blocked, so no callback can tell the listener anything until it wakes. Only
     * {@link PartitionManager#owns} (time-based) keeps telling the truth meanwhile.
     */
    static void freeze(PartitionManager m, Duration d) {
        long until = System.nanoTime() + d.toNanos();
        ManagerRun r = m.run();
        r.heartbeat.pauseUntil(until);
        ScheduledExecutorService loop = r.loop.executor();
        if (loop != null) {
            try {
                loop.execute(() -> {
                    for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
                        LockSupport.parkNanos(left);
                    }
                });
            } catch (RejectedExecutionException ignored) {
                // stopped
            }
        }
    }
}

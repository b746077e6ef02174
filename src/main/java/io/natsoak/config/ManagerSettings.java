package io.natsoak.config;

import java.time.Duration;

/**
 * Timing of the partition manager. With heartbeat TTL T, interval I, grace G and fence margin M:
 * <ul>
 *   <li>a member owns its partitions only while its last acknowledged renewal was sent less than
 *       {@code T - M} ago (a renewal acknowledged later than that does not revive the lease);</li>
 *   <li>the leader evicts a member whose heartbeat it has not seen change for {@code T + G} and
 *       rebalances at once (emergency): a crashed member's partitions move within {@code T + G}
 *       plus one leader tick plus a few KV round trips;</li>
 *   <li>the leader key lives in a bucket with TTL T and is renewed every I: a dead leader is
 *       replaced within {@code T + I} (plus the server's expiry check and one KV round trip).</li>
 * </ul>
 *
 * @param partitions           number of partitions (weights must have this length)
 * @param heartbeatTtl         T: lease of a member and of the leader; TTL of the members and leader buckets
 * @param heartbeatInterval    I: renewal period of both leases; also the election poll period
 * @param fenceMargin          M: a member stops owning M before the server-side TTL would expire its key
 *                             (covers clock-rate and offset differences and the time between an
 *                             {@code owns()} check and the work it guards)
 * @param emergencyGrace       G: extra silence tolerated after T before a member is evicted
 * @param plannedWindow        joins and graceful leaves are batched for this long before a planned rebalance
 * @param minRebalanceInterval at least this long between two planned rebalances (emergencies do not wait)
 * @param coldStartWindow      a new leader with no assignment yet waits this long for members to join
 * @param releaseTimeout       a graceful stop waits at most this long for the listener to release
 * @param requestTimeout       timeout of each KV request (must leave a renewal time to be acknowledged)
 */
public record ManagerSettings(
        int partitions,
        Duration heartbeatTtl,
        Duration heartbeatInterval,
        Duration fenceMargin,
        Duration emergencyGrace,
        Duration plannedWindow,
        Duration minRebalanceInterval,
        Duration coldStartWindow,
        Duration releaseTimeout,
        Duration requestTimeout) {

    public ManagerSettings {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        positive("heartbeatTtl", heartbeatTtl);
        positive("heartbeatInterval", heartbeatInterval);
        notNegative("fenceMargin", fenceMargin);
        notNegative("emergencyGrace", emergencyGrace);
        notNegative("plannedWindow", plannedWindow);
        notNegative("minRebalanceInterval", minRebalanceInterval);
        notNegative("coldStartWindow", coldStartWindow);
        positive("releaseTimeout", releaseTimeout);
        positive("requestTimeout", requestTimeout);
        Duration lease = heartbeatTtl.minus(fenceMargin);
        if (fenceMargin.multipliedBy(2).compareTo(heartbeatTtl) >= 0) {
            throw new IllegalArgumentException("fenceMargin (" + fenceMargin + ") must be less than half the heartbeatTtl (" + heartbeatTtl + ")");
        }
        if (heartbeatInterval.multipliedBy(2).compareTo(lease) > 0) {
            throw new IllegalArgumentException("heartbeatInterval (" + heartbeatInterval + ") must fit twice in heartbeatTtl - fenceMargin ("
                    + lease + "), so one late renewal does not lose the lease");
        }
        if (requestTimeout.compareTo(lease.minus(heartbeatInterval)) > 0) {
            throw new IllegalArgumentException("requestTimeout (" + requestTimeout + ") must be at most heartbeatTtl - fenceMargin - heartbeatInterval ("
                    + lease.minus(heartbeatInterval) + ")");
        }
    }

    /**
     * Production defaults: T 5 s, I 1 s, M 500 ms, G 1 s, planned window 1 s, min interval 3 s,
     * cold start 5 s, release timeout 10 s, request timeout 2 s. A crashed member's partitions move
     * after about 6 s; see docs/partition-manager.md for the trade-off against NATS failovers.
     */
    public static ManagerSettings defaults(int partitions) {
        return new ManagerSettings(partitions, Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMillis(500),
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    public ManagerSettings withPartitions(int value) {
        return new ManagerSettings(value, heartbeatTtl, heartbeatInterval, fenceMargin, emergencyGrace, plannedWindow,
                minRebalanceInterval, coldStartWindow, releaseTimeout, requestTimeout);
    }

    /** Sets T, I and M together (they constrain each other) and clamps the request timeout to what they allow. */
    public ManagerSettings withHeartbeat(Duration ttl, Duration interval, Duration margin) {
        Duration maxRequest = ttl.minus(margin).minus(interval);
        Duration request = requestTimeout.compareTo(maxRequest) > 0 ? maxRequest : requestTimeout;
        return new ManagerSettings(partitions, ttl, interval, margin, emergencyGrace, plannedWindow,
                minRebalanceInterval, coldStartWindow, releaseTimeout, request);
    }

    public ManagerSettings withEmergencyGrace(Duration value) {
        return new ManagerSettings(partitions, heartbeatTtl, heartbeatInterval, fenceMargin, value, plannedWindow,
                minRebalanceInterval, coldStartWindow, releaseTimeout, requestTimeout);
    }

    public ManagerSettings withRebalancing(Duration window, Duration minInterval, Duration coldStart) {
        return new ManagerSettings(partitions, heartbeatTtl, heartbeatInterval, fenceMargin, emergencyGrace, window,
                minInterval, coldStart, releaseTimeout, requestTimeout);
    }

    public ManagerSettings withReleaseTimeout(Duration value) {
        return new ManagerSettings(partitions, heartbeatTtl, heartbeatInterval, fenceMargin, emergencyGrace, plannedWindow,
                minRebalanceInterval, coldStartWindow, value, requestTimeout);
    }

    public ManagerSettings withRequestTimeout(Duration value) {
        return new ManagerSettings(partitions, heartbeatTtl, heartbeatInterval, fenceMargin, emergencyGrace, plannedWindow,
                minRebalanceInterval, coldStartWindow, releaseTimeout, value);
    }

    /** The member's own lease: T - M. */
    public Duration lease() {
        return heartbeatTtl.minus(fenceMargin);
    }

    /** How long the leader waits without seeing a heartbeat change before it evicts: T + G. */
    public Duration evictAfter() {
        return heartbeatTtl.plus(emergencyGrace);
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0, got " + d);
        }
    }

    private static void notNegative(String name, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + d);
        }
    }
}

package io.natsoak.config;

import java.time.Duration;

/** Turns the worker settings into the partition manager's settings (the strategy: {@code Strategies.of(NatsoakConfig)}). */
public final class WorkerAssignment {

    private static final Duration FENCE_MARGIN_CAP = Duration.ofMillis(500);

    private WorkerAssignment() {
    }

    /** The manager's settings; IllegalArgumentException when the durations do not fit together. */
    public static ManagerSettings settings(NatsoakConfig config) {
        WorkerConfig w = config.worker();
        Duration ttl = w.heartbeatTtl();
        Duration margin = ttl.dividedBy(10).compareTo(FENCE_MARGIN_CAP) < 0 ? ttl.dividedBy(10) : FENCE_MARGIN_CAP;
        Duration lease = ttl.minus(margin);
        Duration request = config.nats().requestTimeout();
        Duration maxRequest = lease.minus(w.heartbeatInterval());
        return ManagerSettings.defaults(config.partitions().count())
                .withHeartbeat(ttl, w.heartbeatInterval(), margin)
                .withEmergencyGrace(w.emergencyGrace())
                .withRebalancing(w.rebalanceWindow(), w.minRebalanceInterval(), w.coldStart())
                .withRequestTimeout(request.compareTo(maxRequest) > 0 && !maxRequest.isNegative() && !maxRequest.isZero() ? maxRequest : request);
    }
}

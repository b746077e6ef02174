package io.natsoak.assign;

/**
 * The partition manager's metric names (to be moved to {@code io.natsoak.metrics.MetricNames}).
 * Micrometer names; Prometheus shows dots as underscores, counters with {@code _total}, timers as
 * {@code _seconds} histograms. No per-partition or per-member tags.
 */
public final class AssignMetricNames {

    private AssignMetricNames() {
    }

    /** Gauge: partitions this member currently holds (granted, not yet released). */
    public static final String PARTITIONS = "natsoak.assign.partitions";
    /** Gauge: partitions assigned to this member that wait for their previous owner's release. */
    public static final String PENDING = "natsoak.assign.pending";
    /** Counter, tag {@link #TAG_KIND}: assignments published by this member as leader. */
    public static final String REBALANCES = "natsoak.assign.rebalances";
    /** Gauge: 1 while this member is the leader, else 0. */
    public static final String LEADER = "natsoak.assign.leader";
    /** Gauge: the assignment version this member has applied. */
    public static final String VERSION = "natsoak.assign.assignment.version";
    /**
     * Timer (histogram), tag {@link #TAG_KIND}, recorded by the leader: from a departed member's last
     * heartbeat (emergency) or departure (planned) until every partition it owned has had a message
     * consumed by its new owner.
     */
    public static final String RECOVERY = "natsoak.recovery.duration";
    /** Counter: departures given up before all their partitions were consumed (idle partitions). */
    public static final String RECOVERY_INCOMPLETE = "natsoak.assign.recovery.incomplete";
    /** Timer (histogram), tag {@link #TAG_KIND}, recorded by the new owner: the same, per moved partition. */
    public static final String PARTITION_RECOVERY = "natsoak.assign.partition.recovery";
    /** Timer: from a partition being assigned to this member until it is granted (the handoff wait). */
    public static final String HANDOFF = "natsoak.assign.handoff";
    /** Counter: times this member's lease lapsed (frozen, cut off, or evicted) and it fenced itself. */
    public static final String FENCED = "natsoak.assign.fenced";
    /** Counter: silent members this member evicted as leader. */
    public static final String EVICTIONS = "natsoak.assign.evictions";

    /** Rebalance / recovery kind: {@link #KIND_EMERGENCY}, {@link #KIND_PLANNED}, {@link #KIND_COLD_START}. */
    public static final String TAG_KIND = "kind";
    public static final String KIND_EMERGENCY = "emergency";
    public static final String KIND_PLANNED = "planned";
    public static final String KIND_COLD_START = "cold-start";
}

package io.natsoak.assign;

/**
 * The partition manager's buckets and keys for one run (kept apart from {@link io.natsoak.nats.Names}
 * so the package stays self-contained). All buckets keep one value per key (history 1).
 */
public record AssignNames(String runId) {

    /** The leader's key in {@link #leaderBucket()}. */
    public static final String LEADER_KEY = "leader";
    /** The assignment record's key in {@link #assignmentBucket()}. */
    public static final String ASSIGNMENT_KEY = "current";

    public AssignNames {
        if (runId == null || runId.isBlank()) {
            throw new IllegalArgumentException("runId must not be blank");
        }
    }

    /** One key per live member ({@code worker-<n>}), renewed by its heartbeat; no TTL (see {@link Buckets}). */
    public String membersBucket() {
        return "natsoak_" + runId + "_members";
    }

    /** The leader's claim, renewed with revision-checked updates; no TTL (see {@link Buckets}). */
    public String leaderBucket() {
        return "natsoak_" + runId + "_leader";
    }

    /** The versioned assignment record; no TTL. */
    public String assignmentBucket() {
        return "natsoak_" + runId + "_assignment";
    }

    /** One record per member id: what its current incarnation holds as of which version, or that it is gone; no TTL. */
    public String releasesBucket() {
        return "natsoak_" + runId + "_releases";
    }

    /** The stream behind a bucket (JetStream's naming for KV). */
    static String stream(String bucket) {
        return "KV_" + bucket;
    }

    /** The subject of a key in a bucket (JetStream's naming for KV). */
    static String subject(String bucket, String key) {
        return "$KV." + bucket + "." + key;
    }
}

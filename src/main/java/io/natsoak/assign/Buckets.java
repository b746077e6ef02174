package io.natsoak.assign;

import java.io.IOException;
import java.time.Duration;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.StorageType;

/**
 * Creates the partition manager's buckets if they are missing; never deletes or reconfigures one
 * (nats-server 2.9 must not see a stream deleted and recreated under the same name). Tolerates
 * other members creating them at the same moment.
 * <p>
 * nats-server 2.9 has no per-key TTL (per-message TTL came with 2.11), so expiry is the bucket's
 * TTL (the stream's max age): an entry disappears TTL after its last write. Members and the leader
 * key therefore live in buckets of their own with TTL = heartbeat TTL; the assignment and release
 * records, which must not expire, live in buckets without TTL.
 */
final class Buckets {

    private static final Logger LOG = Logger.getLogger(Buckets.class);
    private static final int STREAM_NAME_IN_USE = 10058;
    private static final int STREAM_NOT_FOUND = 10059;

    private Buckets() {
    }

    static void ensure(Connection connection, AssignNames names, int replicas, Duration heartbeatTtl)
            throws IOException, JetStreamApiException {
        KeyValueManagement kvm = connection.keyValueManagement();
        ensure(kvm, names.membersBucket(), replicas, heartbeatTtl);
        ensure(kvm, names.leaderBucket(), replicas, heartbeatTtl);
        ensure(kvm, names.assignmentBucket(), replicas, null);
        ensure(kvm, names.releasesBucket(), replicas, null);
    }

    private static void ensure(KeyValueManagement kvm, String bucket, int replicas, Duration ttl)
            throws IOException, JetStreamApiException {
        try {
            KeyValueStatus status = kvm.getStatus(bucket);
            Duration have = status.getTtl();
            boolean ttlDiffers = ttl == null ? have != null && !have.isZero() : !ttl.equals(have);
            if (ttlDiffers) {
                LOG.warnf("bucket %s exists with TTL %s (wanted %s); using it as it is", bucket, have, ttl);
            }
            return;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
        }
        KeyValueConfiguration.Builder b = KeyValueConfiguration.builder()
                .name(bucket)
                .maxHistoryPerKey(1)
                .storageType(StorageType.File)
                .replicas(replicas);
        if (ttl != null) {
            b.ttl(ttl);
        }
        try {
            kvm.create(b.build());
            LOG.infof("created bucket %s (replicas %d, ttl %s)", bucket, replicas, ttl == null ? "none" : ttl);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NAME_IN_USE) {
                throw e;
            }
        }
    }
}

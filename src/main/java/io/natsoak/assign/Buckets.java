package io.natsoak.assign;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.StorageType;
import io.natsoak.nats.JetStreamErrors;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;

/**
 * Creates the partition manager's buckets if they are missing; never deletes or reconfigures one
 * (nats-server 2.9 must not see a stream deleted and recreated under the same name). Tolerates
 * other members creating them at the same moment.
 * <p>
 * No bucket has a TTL (max age), on purpose: on nats-server before 2.10.19 a TTL
 * desynchronises the replicas of a bucket that takes conditional writes. Nothing expires; the
 * leader evicts silent member keys and followers evict a silent leader key, both with
 * revision-checked deletes. docs/partition-manager.md ("What nats-server 2.9 forced") tells
 * what the chaos test found.
 */
final class Buckets {

    private static final Logger LOG = Logger.getLogger(Buckets.class);

    private Buckets() {
    }

    static void ensure(Connection connection, AssignNames names, int replicas)
            throws IOException, JetStreamApiException {
        KeyValueManagement kvm = connection.keyValueManagement();
        ensure(kvm, names.membersBucket(), replicas);
        ensure(kvm, names.leaderBucket(), replicas);
        ensure(kvm, names.assignmentBucket(), replicas);
        ensure(kvm, names.releasesBucket(), replicas);
    }

    private static void ensure(KeyValueManagement kvm, String bucket, int replicas)
            throws IOException, JetStreamApiException {
        try {
            KeyValueStatus status = kvm.getStatus(bucket);
            Duration have = status.getTtl();
            if (have != null && !have.isZero()) {
                LOG.warnf("bucket %s exists with TTL %s (an older natsoak made it); on nats-server before 2.10.19 "
                        + "its replicas can disagree under churn; use a new run id", bucket, have);
            }
            return;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != JetStreamErrors.STREAM_NOT_FOUND) {
                throw e;
            }
        }
        KeyValueConfiguration config = KeyValueConfiguration.builder()
                .name(bucket)
                .maxHistoryPerKey(1)
                .storageType(StorageType.File)
                .replicas(replicas)
                .build();
        try {
            kvm.create(config);
            LOG.infof("created bucket %s (replicas %d)", bucket, replicas);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != JetStreamErrors.STREAM_NAME_IN_USE) {
                throw e;
            }
        }
    }
}

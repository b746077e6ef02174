package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.natsoak.config.NatsConfig;
import io.natsoak.config.StorageType;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Creates the run's streams and buckets if they are missing. Idempotent and safe against an
 * external NATS: it never deletes or reconfigures anything that exists (a mismatch is logged),
 * and tolerates another pod creating the same thing at the same moment.
 */
public final class Provisioner {

    private static final Logger LOG = Logger.getLogger(Provisioner.class);
    /** Long enough to cover a producer's retries through a leader failover. */
    private static final Duration DUPLICATE_WINDOW = Duration.ofMinutes(2);

    private final Connection connection;
    private final Names names;
    private final NatsConfig nats;

    public Provisioner(Connection connection, Names names, NatsConfig nats) {
        this.connection = connection;
        this.names = names;
        this.nats = nats;
    }

    /** Patience for start-up: long enough for a cluster that is still electing leaders. */
    public static final Duration START_PATIENCE = Duration.ofMinutes(2);

    /** {@link #ensureAll()}, retried while the cluster is still forming. */
    public void ensureAllPatiently() throws Exception {
        Retry.within(START_PATIENCE, "provisioning streams and buckets", () -> {
            ensureAll();
            return null;
        });
    }

    public void ensureAll() throws IOException, JetStreamApiException {
        ensureStream(StreamConfiguration.builder()
                .name(names.dataStream())
                .subjects(names.dataSubjects())
                // Limits retention: acknowledgements never delete data, so a partition's
                // progress is only its committed position and any owner can resume from it.
                .retentionPolicy(RetentionPolicy.Limits)
                .discardPolicy(DiscardPolicy.Old)
                .maxAge(nats.dataMaxAge())
                .maxBytes(nats.dataMaxBytes())
                .storageType(storage())
                .replicas(nats.replicas())
                .duplicateWindow(DUPLICATE_WINDOW)
                .build());
        ensureStream(StreamConfiguration.builder()
                .name(names.receiptsStream())
                .subjects(names.receiptsSubject())
                .retentionPolicy(RetentionPolicy.Limits)
                .maxAge(nats.dataMaxAge())
                .storageType(storage())
                .replicas(nats.replicas())
                .duplicateWindow(DUPLICATE_WINDOW)
                .build());
        ensureBucket(names.positionsBucket());
        ensureBucket(names.marksBucket());
        ensureBucket(names.runBucket());
    }

    /**
     * The verifier's checkpoint stream (only the verifier needs it). No max age: a verifier may be
     * down for longer than any age, and its checkpoint must still be there when it comes back.
     */
    public void ensureCheckpointStream() throws IOException, JetStreamApiException {
        ensureStream(StreamConfiguration.builder()
                .name(names.checkpointStream())
                .subjects(names.checkpointSubject())
                .retentionPolicy(RetentionPolicy.Limits)
                .storageType(storage())
                .replicas(nats.replicas())
                .build());
    }

    private io.nats.client.api.StorageType storage() {
        return nats.storage() == StorageType.MEMORY ? io.nats.client.api.StorageType.Memory : io.nats.client.api.StorageType.File;
    }

    private void ensureStream(StreamConfiguration wanted) throws IOException, JetStreamApiException {
        JetStreamManagement jsm = connection.jetStreamManagement();
        StreamInfo existing = streamInfo(jsm, wanted.getName());
        if (existing == null) {
            try {
                jsm.addStream(wanted);
                LOG.infof("created stream %s (replicas %d, %s)", wanted.getName(), wanted.getReplicas(), wanted.getStorageType());
                return;
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != JetStreamErrors.STREAM_NAME_IN_USE) {
                    throw e;
                }
                existing = jsm.getStreamInfo(wanted.getName());
            }
        }
        StreamConfiguration have = existing.getConfiguration();
        if (!have.getSubjects().equals(wanted.getSubjects()) || have.getReplicas() != wanted.getReplicas()) {
            LOG.warnf("stream %s exists with subjects %s and %d replicas (wanted %s, %d); using it as it is",
                    wanted.getName(), have.getSubjects(), have.getReplicas(), wanted.getSubjects(), wanted.getReplicas());
        }
    }

    private static StreamInfo streamInfo(JetStreamManagement jsm, String name) throws IOException, JetStreamApiException {
        try {
            return jsm.getStreamInfo(name);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == JetStreamErrors.STREAM_NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    private void ensureBucket(String bucket) throws IOException, JetStreamApiException {
        KeyValueManagement kvm = connection.keyValueManagement();
        List<String> existing = kvm.getBucketNames();
        if (existing.contains(bucket)) {
            return;
        }
        try {
            kvm.create(KeyValueConfiguration.builder()
                    .name(bucket)
                    .maxHistoryPerKey(1)
                    .storageType(storage())
                    .replicas(nats.replicas())
                    .build());
            LOG.infof("created bucket %s", bucket);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != JetStreamErrors.STREAM_NAME_IN_USE) {
                throw e;
            }
        }
    }
}

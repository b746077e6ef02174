package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StreamConfiguration;
import io.natsoak.config.NatsConfig;
import io.natsoak.config.StorageType;
import io.natsoak.model.ChaosLogEntry;
import io.natsoak.model.Json;

import java.io.IOException;
import java.time.Duration;

/**
 * The chaos log: a small limits-retention stream, one message per fault. The operator appends,
 * the verifier reads it from the start for its report. Either side may create it (idempotent),
 * since either may start first.
 */
public final class ChaosLog {

    /** Hours of soak at one fault a few seconds apart stay far below this. */
    private static final long MAX_ENTRIES = 100_000;

    private ChaosLog() {
    }

    public static void ensureStream(Connection connection, Names names, NatsConfig nats) throws IOException, JetStreamApiException {
        JetStreamManagement jsm = connection.jetStreamManagement();
        try {
            jsm.getStreamInfo(names.chaosStream());
            return;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != JetStreamErrors.STREAM_NOT_FOUND) {
                throw e;
            }
        }
        try {
            jsm.addStream(StreamConfiguration.builder()
                    .name(names.chaosStream())
                    .subjects(names.chaosLogSubject())
                    .retentionPolicy(RetentionPolicy.Limits)
                    .maxMessages(MAX_ENTRIES)
                    .storageType(nats.storage() == StorageType.MEMORY ? io.nats.client.api.StorageType.Memory
                            : io.nats.client.api.StorageType.File)
                    .replicas(nats.replicas())
                    .duplicateWindow(Duration.ofMinutes(2))
                    .build());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != JetStreamErrors.STREAM_NAME_IN_USE) {
                throw e;
            }
        }
    }

    /**
     * Appends an entry and waits for the PubAck. The message id makes a retried append (after a
     * lost PubAck during a NATS node kill) land once.
     */
    public static void append(Connection connection, Names names, ChaosLogEntry entry, Duration timeout) throws IOException, JetStreamApiException {
        connection.jetStream().publish(names.chaosLogSubject(), Json.write(entry), PublishOptions.builder()
                .messageId(names.runId() + "-chaos-" + entry.seed() + "-" + entry.step() + "-" + entry.event() + "-" + entry.at())
                .streamTimeout(timeout)
                .build());
    }
}

package io.natsoak.verifier;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.NUID;
import io.nats.client.PublishOptions;
import io.nats.client.PurgeOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamState;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.natsoak.nats.JetStreamErrors;
import io.natsoak.nats.Names;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the verifier's checkpoints in a stream of the run ({@link Names#checkpointStream()}).
 *
 * <p>A checkpoint is published as one or more chunks (each under the server's max payload, so
 * its size is never a limit), all carrying the checkpoint's id and "index/count". Only once every
 * chunk is stored are the older messages purged; a crash in between leaves the previous complete
 * checkpoint in place, and readers take the newest complete one. Reads go to the stream leader
 * ({@code STREAM.MSG.GET}; the stream does not allow direct gets), never to a replica that may lag.
 *
 * <p>Why not the object store: jnats 2.23's {@code ObjectStore.put} leaves the previous version's
 * chunks in the stream (it would grow by a checkpoint every interval), and its reads are direct
 * gets that a lagging replica may answer with a description whose chunks are already purged.
 * Why not a KV value: its 1 MB limit (max payload) would cap the checkpoint, and a run with many
 * partitions and scattered losses can exceed it.
 */
final class CheckpointStore {

    static final String ID_HEADER = "Natsoak-Checkpoint";
    static final String CHUNK_HEADER = "Natsoak-Chunk";
    private static final int MAX_CHUNK_BYTES = 512 * 1024;
    /** Room for the headers within the max payload. */
    private static final int HEADER_ROOM = 1024;

    private final Connection connection;
    private final String stream;
    private final String subject;

    CheckpointStore(Connection connection, Names names) {
        this.connection = connection;
        this.stream = names.checkpointStream();
        this.subject = names.checkpointSubject();
    }

    String stream() {
        return stream;
    }

    /** Stores {@code data} as the newest checkpoint, then removes the older ones. */
    void write(byte[] data) throws IOException, JetStreamApiException {
        int chunkSize = (int) Math.max(HEADER_ROOM, Math.min(MAX_CHUNK_BYTES, connection.getMaxPayload() - HEADER_ROOM));
        int chunks = Math.max(1, (data.length + chunkSize - 1) / chunkSize);
        String id = NUID.nextGlobal();
        PublishOptions options = PublishOptions.builder().expectedStream(stream).build();
        long first = -1;
        for (int i = 0; i < chunks; i++) {
            Headers headers = new Headers().put(ID_HEADER, id).put(CHUNK_HEADER, i + "/" + chunks);
            byte[] chunk = Arrays.copyOfRange(data, i * chunkSize, Math.min(data.length, (i + 1) * chunkSize));
            PublishAck ack = connection.jetStream().publish(NatsMessage.builder().subject(subject).headers(headers).data(chunk).build(), options);
            if (i == 0) {
                first = ack.getSeqno();
            }
        }
        // Everything before this checkpoint's first chunk: older checkpoints and any torn write.
        // Not at sequence 1 (nothing is older): nats-server 2.9.10 purges the whole stream then.
        if (first > 1) {
            connection.jetStreamManagement().purgeStream(stream, PurgeOptions.builder().sequence(first).build());
        }
    }

    /**
     * The newest complete checkpoint's bytes; empty when none was ever completed.
     *
     * @throws CheckpointException if the stream holds something that is not a checkpoint chunk
     */
    Optional<byte[]> read() throws IOException, JetStreamApiException, CheckpointException {
        JetStreamManagement jsm = connection.jetStreamManagement();
        StreamState state = jsm.getStreamInfo(stream).getStreamState();
        if (state.getMsgCount() == 0) {
            return Optional.empty();
        }
        // Newest first; a torn write (chunks missing at the end) is passed over.
        Map<String, byte[][]> partial = new HashMap<>();
        for (long seq = state.getLastSequence(); seq >= state.getFirstSequence() && seq > 0; seq--) {
            MessageInfo m = messageAt(jsm, seq);
            if (m == null) {
                continue;
            }
            String id = m.getHeaders() == null ? null : m.getHeaders().getFirst(ID_HEADER);
            String chunk = m.getHeaders() == null ? null : m.getHeaders().getFirst(CHUNK_HEADER);
            int[] indexOfCount = parseChunk(chunk);
            if (id == null || indexOfCount == null) {
                throw new CheckpointException("message " + seq + " of stream " + stream + " is not a checkpoint chunk");
            }
            byte[][] parts = partial.computeIfAbsent(id, k -> new byte[indexOfCount[1]][]);
            if (parts.length != indexOfCount[1]) {
                throw new CheckpointException("the chunks of checkpoint " + id + " disagree on how many there are");
            }
            parts[indexOfCount[0]] = m.getData() == null ? new byte[0] : m.getData();
            if (Arrays.stream(parts).allMatch(p -> p != null)) {
                ByteArrayOutputStream whole = new ByteArrayOutputStream();
                for (byte[] p : parts) {
                    whole.write(p);
                }
                return Optional.of(whole.toByteArray());
            }
        }
        return Optional.empty();
    }

    /** "index/count" with 0 <= index < count; null when malformed. */
    private static int[] parseChunk(String value) {
        if (value == null) {
            return null;
        }
        int slash = value.indexOf('/');
        try {
            int index = Integer.parseInt(value.substring(0, Math.max(0, slash)));
            int count = Integer.parseInt(value.substring(slash + 1));
            return index >= 0 && index < count && count <= 1 << 20 ? new int[] {index, count} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private MessageInfo messageAt(JetStreamManagement jsm, long seq) throws IOException, JetStreamApiException {
        try {
            return jsm.getMessage(stream, seq);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == JetStreamErrors.NO_MESSAGE_FOUND) {
                return null;
            }
            throw e;
        }
    }
}

package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.MessageGetRequest;
import io.nats.client.api.MessageInfo;

import java.io.IOException;
import java.util.Optional;

/**
 * Reads that decide something (a new owner's starting position, a producer's resume point) ask
 * the stream's leader, through the JetStream API's {@code STREAM.MSG.GET}.
 * <p>
 * Why not {@code jetStreamManagement().getLastMessage} or {@code KeyValue.get}: jnats sends both
 * as a direct get ({@code $JS.API.DIRECT.GET}) whenever the stream allows it, and every KV
 * bucket does. Any replica answers a direct get, including one still catching up after its
 * server restarted, so the answer may be an older value. The leader has applied every write
 * that was acknowledged.
 */
public final class LeaderReads {

    /** The JetStream API subject the stream leader answers (default API prefix, no domain). */
    public static final String MSG_GET = "$JS.API.STREAM.MSG.GET.";

    private LeaderReads() {
    }

    /** The last message on {@code subject} in {@code stream}; empty when there is none. */
    public static Optional<MessageInfo> lastMessage(Connection connection, String stream, String subject)
            throws IOException, JetStreamApiException, InterruptedException {
        return message(connection, stream, MessageGetRequest.lastForSubject(subject));
    }

    /** The first message on {@code subject} at or after stream sequence {@code sequence}; empty when there is none. */
    public static Optional<MessageInfo> nextMessage(Connection connection, String stream, long sequence, String subject)
            throws IOException, JetStreamApiException, InterruptedException {
        return message(connection, stream, MessageGetRequest.nextForSubject(sequence, subject));
    }

    private static Optional<MessageInfo> message(Connection connection, String stream, MessageGetRequest request)
            throws IOException, JetStreamApiException, InterruptedException {
        Message reply = connection.request(MSG_GET + stream, request.serialize(),
                connection.getOptions().getConnectionTimeout());
        if (reply == null || reply.isStatusMessage()) {
            // null: timed out, or nobody answers (the stream is electing a leader); callers retry
            throw new IOException("no answer from the leader of stream " + stream
                    + (reply == null ? "" : " (status " + reply.getStatus().getCode() + ")"));
        }
        MessageInfo info = new MessageInfo(reply, stream, false);
        if (info.hasError()) {
            if (info.getApiErrorCode() == JetStreamErrors.NO_MESSAGE_FOUND) {
                return Optional.empty();
            }
            info.throwOnHasError();
        }
        return Optional.of(info);
    }

    /** A KV key's latest entry (a delete or purge marker included); empty when the key was never written. */
    public static Optional<KeyValueEntry> kvEntry(Connection connection, String bucket, String key)
            throws IOException, JetStreamApiException, InterruptedException {
        return kvMessage(connection, bucket, key).map(KeyValueEntry::new);
    }

    /** The same as the stored message, whose stream sequence is the key's revision. */
    public static Optional<MessageInfo> kvMessage(Connection connection, String bucket, String key)
            throws IOException, JetStreamApiException, InterruptedException {
        return lastMessage(connection, "KV_" + bucket, "$KV." + bucket + "." + key);
    }
}

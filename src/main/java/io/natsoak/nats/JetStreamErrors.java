package io.natsoak.nats;

/**
 * The JetStream API error codes natsoak acts on, each defined once here with the server's own
 * meaning as its name (nats-server's errors.json). Compare them with
 * {@code JetStreamApiException.getApiErrorCode()} or {@code MessageInfo.getApiErrorCode()}.
 */
public final class JetStreamErrors {

    /** JSNoMessageFoundErr: "no message found" (a last-for-subject or sequence read of nothing). */
    public static final int NO_MESSAGE_FOUND = 10037;
    /** JSStreamNameExistErr: "stream name already in use" (someone created it first, maybe with another configuration). */
    public static final int STREAM_NAME_IN_USE = 10058;
    /** JSStreamNotFoundErr: "stream not found". */
    public static final int STREAM_NOT_FOUND = 10059;
    /**
     * JSStreamWrongLastSequenceErr: "wrong last sequence"; an expected last (subject) sequence did
     * not match: a KV update whose revision is stale, or a KV create of a key that already exists.
     */
    public static final int WRONG_LAST_SEQUENCE = 10071;

    private JetStreamErrors() {
    }
}

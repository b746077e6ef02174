package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import io.natsoak.nats.JetStreamErrors;

import java.io.IOException;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The manager's access to one KV bucket: revision-checked writes, reads from any replica, and
 * reads from the stream leader. {@link NatsBucket} is the real one; tests use an in-memory one.
 * A write whose expected revision does not match throws a {@link JetStreamApiException} with
 * {@link JetStreamErrors#WRONG_LAST_SEQUENCE}.
 */
interface KvBucket {

    /** Writes {@code value} if the key's last revision is {@code expectedRevision} (0: no entry); the new revision. */
    long update(String key, byte[] value, long expectedRevision) throws IOException, JetStreamApiException;

    /** jnats' create: writes if the key has no value (never written or deleted); the new revision. */
    long create(String key, byte[] value) throws IOException, JetStreamApiException;

    /** Writes a deletion marker if the key's last revision is {@code expectedRevision} (0: no entry at all). */
    void delete(String key, long expectedRevision) throws IOException, JetStreamApiException;

    /** The key's value from whichever replica answers; empty when never written or deleted. */
    Optional<KvEntry> get(String key) throws IOException, JetStreamApiException;

    /** The key's latest entry (a deletion marker included) from the stream leader; empty when never written. */
    Optional<KvEntry> readFromLeader(String key) throws IOException, JetStreamApiException, InterruptedException;

    /** A key claimed by {@link #claimIfFree}: its revision, and when the write was sent (a lease counts from then). */
    record Claim(long revision, long sentNanos) {
    }

    /**
     * Writes {@code value} to {@code key} only if the key is free (never written, or deleted);
     * empty when it is taken. Not {@link #create}: docs/partition-manager.md ("What nats-server
     * 2.9 forced") says why a write expecting "no entry" must not reach a key that has one. The
     * send time is taken after the read, so a slow read does not eat into the lease that starts
     * with the write.
     */
    default Optional<Claim> claimIfFree(String key, byte[] value, LongSupplier nanoClock)
            throws IOException, JetStreamApiException, InterruptedException {
        Optional<KvEntry> last = readFromLeader(key);
        if (last.isPresent() && last.get().put()) {
            return Optional.empty();
        }
        long send = nanoClock.getAsLong();
        try {
            return Optional.of(new Claim(update(key, value, last.map(KvEntry::revision).orElse(0L)), send));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == JetStreamErrors.WRONG_LAST_SEQUENCE) {
                return Optional.empty();
            }
            throw e;
        }
    }

    static boolean conflict(JetStreamApiException e) {
        return e.getApiErrorCode() == JetStreamErrors.WRONG_LAST_SEQUENCE;
    }
}

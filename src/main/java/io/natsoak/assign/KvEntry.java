package io.natsoak.assign;

import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;

import java.time.Instant;

/**
 * One entry of a KV key as the manager sees it: a value ({@code put}) or a deletion marker.
 * {@code revision} is the numbering of the replica that served it; {@code created} may be null.
 */
record KvEntry(String key, byte[] value, long revision, boolean put, Instant created) {

    static KvEntry of(KeyValueEntry e) {
        return new KvEntry(e.getKey(), e.getValue(), e.getRevision(), e.getOperation() == KeyValueOperation.PUT,
                e.getCreated() == null ? null : e.getCreated().toInstant());
    }

    /** When the entry was written, or {@code otherwise} when the server did not say. */
    long createdMs(long otherwise) {
        return created == null ? otherwise : created.toEpochMilli();
    }
}

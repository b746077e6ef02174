package io.natsoak.assign;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.api.KeyValueEntry;
import io.natsoak.nats.LeaderReads;

import java.io.IOException;
import java.util.Optional;

/** A {@link KvBucket} on NATS: jnats' KeyValue for writes and replica reads, {@link LeaderReads} for leader reads. */
final class NatsBucket implements KvBucket {

    private final Connection connection;
    private final String bucket;
    private final KeyValue kv;

    NatsBucket(Connection connection, String bucket, KeyValueOptions options) throws IOException {
        this.connection = connection;
        this.bucket = bucket;
        this.kv = connection.keyValue(bucket, options);
    }

    @Override
    public long update(String key, byte[] value, long expectedRevision) throws IOException, JetStreamApiException {
        return kv.update(key, value, expectedRevision);
    }

    @Override
    public long create(String key, byte[] value) throws IOException, JetStreamApiException {
        return kv.create(key, value);
    }

    @Override
    public void delete(String key, long expectedRevision) throws IOException, JetStreamApiException {
        kv.delete(key, expectedRevision);
    }

    @Override
    public Optional<KvEntry> get(String key) throws IOException, JetStreamApiException {
        KeyValueEntry e = kv.get(key);
        return e == null ? Optional.empty() : Optional.of(KvEntry.of(e));
    }

    @Override
    public Optional<KvEntry> readFromLeader(String key) throws IOException, JetStreamApiException, InterruptedException {
        return LeaderReads.kvEntry(connection, bucket, key).map(KvEntry::of);
    }
}

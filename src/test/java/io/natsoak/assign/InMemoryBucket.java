package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import io.nats.client.api.Error;
import io.natsoak.nats.JetStreamErrors;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link KvBucket} in memory with the semantics the manager relies on: one revision sequence
 * per bucket, writes checked against the key's last revision (0: no entry), deletion markers.
 * Watchers see every entry in order. Writes to {@link #unreachableKey} fail as timed-out requests do.
 */
final class InMemoryBucket implements KvBucket {

    private final Map<String, KvEntry> last = new HashMap<>();
    private final List<Consumer<KvEntry>> watchers = new CopyOnWriteArrayList<>();
    private long sequence;
    volatile String unreachableKey;
    /** Runs before every write is stored (a test advances its clock there: a slow acknowledgement). */
    volatile Runnable beforeWrite = () -> { };

    void watch(Consumer<KvEntry> watcher) {
        List<KvEntry> now;
        synchronized (this) {
            now = List.copyOf(last.values());
            watchers.add(watcher);
        }
        now.forEach(watcher);
    }

    synchronized long sequence() {
        return sequence;
    }

    @Override
    public long update(String key, byte[] value, long expectedRevision) throws java.io.IOException, JetStreamApiException {
        return write(key, value, true, expectedRevision);
    }

    @Override
    public long create(String key, byte[] value) throws java.io.IOException, JetStreamApiException {
        KvEntry e;
        synchronized (this) {
            e = last.get(key);
        }
        if (e != null && e.put()) {
            throw conflict();
        }
        return write(key, value, true, e == null ? 0 : e.revision());
    }

    @Override
    public void delete(String key, long expectedRevision) throws java.io.IOException, JetStreamApiException {
        write(key, null, false, expectedRevision);
    }

    @Override
    public synchronized Optional<KvEntry> get(String key) {
        return Optional.ofNullable(last.get(key)).filter(KvEntry::put);
    }

    @Override
    public synchronized Optional<KvEntry> readFromLeader(String key) {
        return Optional.ofNullable(last.get(key));
    }

    private long write(String key, byte[] value, boolean put, long expected) throws java.io.IOException, JetStreamApiException {
        beforeWrite.run();
        KvEntry e;
        synchronized (this) {
            if (key.equals(unreachableKey)) {
                throw new java.io.IOException("timeout (test outage of " + key + ")");
            }
            KvEntry before = last.get(key);
            if ((before == null ? 0 : before.revision()) != expected) {
                throw conflict();
            }
            e = new KvEntry(key, value, ++sequence, put, Instant.now());
            last.put(key, e);
            for (Consumer<KvEntry> w : watchers) {
                w.accept(e); // watchers only post to a loop: in order, and never blocking
            }
        }
        return e.revision();
    }

    private static JetStreamApiException conflict() {
        return new JetStreamApiException(Error.JsBadRequestErr) {
            @Override
            public int getApiErrorCode() {
                return JetStreamErrors.WRONG_LAST_SEQUENCE;
            }
        };
    }
}

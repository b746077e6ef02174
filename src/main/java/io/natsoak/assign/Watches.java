package io.natsoak.assign;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueWatcher;
import io.natsoak.config.ManagerSettings;
import io.natsoak.nats.Dispatchers;
import io.natsoak.nats.KvWatch;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The four KV watches (they only post their entries to the loop) and their stall watchdog.
 * Open and close from any thread (under a lock); the watchdog runs on the loop, renewals are
 * reported by the heartbeat thread.
 */
final class Watches {

    private static final Logger LOG = Logger.getLogger(Watches.class);

    /** Where the entries go (on the loop). */
    interface Handlers {
        void member(KvEntry e);

        void membersLoaded();

        void release(KvEntry e);

        void assignment(KvEntry e);

        void assignmentLoaded();

        void leader(KvEntry e);
    }

    private final Connection connection;
    private final AssignNames names;
    private final Loop loop;
    private final long stallLimitNanos;
    private final List<KvWatch> watches = new ArrayList<>();
    /** All KV watches share it (see {@link KvWatch}); created with the first watch, closed by {@link #closeAll}. */
    private Dispatcher dispatcher;
    private Handlers handlers;

    /**
     * This member's last acknowledged renewal (heartbeat thread) and the last one its own watch
     * echoed (loop), by heartbeat sequence: revisions are numbered per replica.
     */
    private volatile long lastAckedBeat;
    private long echoedBeat;
    private long stallSinceNanos;
    private long stallTarget;

    Watches(Connection connection, AssignNames names, Loop loop, ManagerSettings settings) {
        this.connection = connection;
        this.names = names;
        this.loop = loop;
        this.stallLimitNanos = Math.max(TimeUnit.SECONDS.toNanos(1), 3 * settings.heartbeatInterval().toNanos());
    }

    void open(Handlers h) throws IOException, JetStreamApiException {
        synchronized (watches) {
            if (loop.closed()) {
                return; // stop() got here first: open nothing it would not close
            }
            handlers = h;
            if (dispatcher == null) {
                dispatcher = connection.createDispatcher();
            }
            watches.add(KvWatch.all(connection, dispatcher, names.membersBucket(), new Forward(h::member, h::membersLoaded)));
            watches.add(KvWatch.all(connection, dispatcher, names.releasesBucket(), new Forward(h::release, () -> { })));
            watches.add(KvWatch.key(connection, dispatcher, names.assignmentBucket(), AssignNames.ASSIGNMENT_KEY,
                    new Forward(h::assignment, h::assignmentLoaded)));
            watches.add(KvWatch.key(connection, dispatcher, names.leaderBucket(), AssignNames.LEADER_KEY,
                    new Forward(h::leader, () -> { })));
        }
    }

    void close() {
        synchronized (watches) {
            for (KvWatch w : watches) {
                w.close();
            }
            watches.clear();
        }
    }

    /** Closes the watches and their dispatcher (stop). */
    void closeAll() {
        close();
        synchronized (watches) {
            Dispatchers.close(connection, dispatcher);
            dispatcher = null;
        }
    }

    /** Heartbeat thread: a renewal with this sequence was acknowledged. */
    void acked(long seq) {
        lastAckedBeat = seq;
    }

    /** Loop: the members watch showed this member's own renewal. */
    void echoed(long seq) {
        echoedBeat = Math.max(echoedBeat, seq);
    }

    /** Loop: heartbeat sequences start again with each incarnation, and so does the check. */
    void restart() {
        lastAckedBeat = 0;
        echoedBeat = 0;
        stallSinceNanos = 0;
    }

    /**
     * A KV watch is an ordered push consumer hosted on one server; when that server dies, jnats
     * notices only after several missed idle heartbeats (15-20 s here) and the views go stale
     * meanwhile. This member's own renewals must come back through its members watch: if an
     * acknowledged renewal has not come back within max(1 s, 3 heartbeat intervals), every
     * watch is recreated (views only move forward, so replayed entries are harmless).
     */
    void watchdog(long now, boolean member, String who) {
        long acked = lastAckedBeat;
        if (!member || acked <= echoedBeat) {
            stallSinceNanos = 0;
            return;
        }
        if (stallSinceNanos == 0 || echoedBeat >= stallTarget) {
            stallSinceNanos = now;
            stallTarget = acked;
            return;
        }
        if (now - stallSinceNanos < stallLimitNanos) {
            return;
        }
        LOG.infof("%s: KV watches stalled (renewal %d not seen for %d ms); recreating them",
                who, stallTarget, (now - stallSinceNanos) / 1_000_000);
        close();
        try {
            open(handlers);
            stallSinceNanos = 0;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            close();
            stallSinceNanos = now; // try again after another limit
            LOG.debugf("recreating KV watches failed: %s", e.toString());
        }
    }

    /** Forwards a watch to the loop. */
    private final class Forward implements KeyValueWatcher {
        private final Consumer<KvEntry> onEntry;
        private final Runnable onEnd;

        Forward(Consumer<KvEntry> onEntry, Runnable onEnd) {
            this.onEntry = onEntry;
            this.onEnd = onEnd;
        }

        @Override
        public void watch(KeyValueEntry entry) {
            KvEntry e = KvEntry.of(entry);
            loop.post(() -> onEntry.accept(e));
        }

        @Override
        public void endOfData() {
            loop.post(onEnd);
        }
    }
}

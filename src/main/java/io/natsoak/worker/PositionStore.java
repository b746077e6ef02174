package io.natsoak.worker;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.MessageInfo;
import io.natsoak.nats.JetStreamErrors;
import io.natsoak.nats.LeaderReads;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.util.Collection;

/**
 * The partitions' positions in NATS KV ({@link Position}): claimed by a new owner, committed
 * with a revision check by the running one. One per start of the worker (one incarnation).
 */
final class PositionStore {

    private static final Logger LOG = Logger.getLogger(PositionStore.class);

    private final Connection connection;
    private final KeyValue positions;
    private final Names names;
    private final Grants grants;
    private final String instance;
    private final String incarnation;
    private volatile boolean closed;

    PositionStore(Connection connection, Names names, Grants grants, String instance, String incarnation) throws Exception {
        this.connection = connection;
        this.positions = connection.keyValue(names.positionsBucket());
        this.names = names;
        this.grants = grants;
        this.instance = instance;
        this.incarnation = incarnation;
    }

    /** No commit after this: the worker's connection is being closed. */
    void close() {
        closed = true;
    }

    /**
     * Reads the partition's committed position and records this worker as its running owner; null
     * if the partition is no longer ours. The position write is a plain put, so it is made only
     * while the lease still holds: a member whose claim outlived its lease (a grant queued before a
     * fence and retried through the outage that caused it) overwrote the new owner's record, and
     * the new owner's next commit failed its revision check and gave the partition up.
     */
    PartitionState claim(int p) throws Exception {
        MessageInfo stored = positionEntryFromLeader(p);
        byte[] data = stored == null ? null : stored.getData();
        Position previous = data == null || data.length == 0 ? null : Position.decode(data);
        long start = previous == null ? 0 : previous.streamSequence();
        long replayUntil = 0;
        if (previous != null && !previous.clean()) {
            replayUntil = Math.max(previous.replayUntil(), lastStreamSequence(p));
        } else if (previous != null) {
            // Handed over cleanly in the middle of a replay it had inherited: the rest of that
            // replay may still have been processed by the owner before it.
            replayUntil = previous.replayUntil();
        }
        if (!grants.stillGranted(p)) {
            return null;
        }
        long revision = positions.put(Names.positionKey(p), new Position(start, false, replayUntil, incarnation).encode());
        if (replayUntil > start) {
            LOG.infof("partition %d: previous owner %s %s; replaying after %d up to %d as possible redeliveries", p, previous.owner(),
                    previous.clean() ? "handed over inside a replay" : "stopped without committing", start, replayUntil);
        }
        return new PartitionState(p, start, replayUntil, revision);
    }

    /** Commits every partition whose receipts got ahead of its committed position (the commit thread). */
    void commitAdvanced(Collection<PartitionState> states) {
        for (PartitionState state : states) {
            if (state.processed > state.committed) {
                commit(state, false);
            }
        }
    }

    /**
     * Commits one partition's position with a revision check: if anyone else wrote it since this
     * owner's last write (a new owner after this one was frozen), the commit fails and this worker
     * stops treating the partition as its own.
     */
    void commit(PartitionState state, boolean clean) {
        if (!grants.mayReceipt(state) || closed) {
            return;
        }
        synchronized (state) {
            long position = Math.max(state.processed, state.committed);
            try {
                state.revision = positions.update(Names.positionKey(state.partition), new Position(position, clean, state.replayUntil, incarnation).encode(),
                        state.revision);
                state.committed = position;
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == JetStreamErrors.WRONG_LAST_SEQUENCE) {
                    adoptOwnWriteOrGiveUp(state);
                } else {
                    LOG.warnf("worker %s: position commit of partition %d failed (%s); will retry", instance, state.partition, e.toString());
                }
            } catch (Exception e) {
                LOG.warnf("worker %s: position commit of partition %d failed (%s); will retry", instance, state.partition, e.toString());
            }
        }
    }

    /**
     * The revision check failed. Either our own earlier write was stored but its PubAck was lost
     * (a NATS failover): then the stored entry is ours, we adopt its revision and the next commit
     * goes through. Or another owner wrote it: then the partition is no longer ours.
     */
    private void adoptOwnWriteOrGiveUp(PartitionState state) {
        try {
            MessageInfo entry = positionEntryFromLeader(state.partition);
            if (entry != null && entry.getData() != null && incarnation.equals(Position.decode(entry.getData()).owner())) {
                state.revision = entry.getSeq();
                LOG.infof("worker %s: partition %d's last position write was stored without an acknowledgement; continuing from it",
                        instance, state.partition);
                return;
            }
        } catch (Exception e) {
            LOG.warnf("worker %s: cannot read partition %d's position (%s); will retry", instance, state.partition, e.toString());
            return;
        }
        LOG.warnf("worker %s: partition %d's position was written by another owner; giving the partition up", instance, state.partition);
        state.owned = false;
        state.accepting = false;
    }

    /**
     * The position's last KV entry (value and revision) from the bucket's stream leader
     * ({@link LeaderReads}); null if none. A KV get may be answered by any replica (direct get),
     * and a replica that has not applied the last commit yet would hand a new owner an old
     * position: it would replay messages as if first delivered and the verifier would rightly
     * call them unexplained duplicates.
     */
    private MessageInfo positionEntryFromLeader(int p) throws Exception {
        return LeaderReads.kvMessage(connection, names.positionsBucket(), Names.positionKey(p)).orElse(null);
    }

    /** The partition's last stream sequence, from the data stream's leader; 0 if it has none. */
    private long lastStreamSequence(int p) throws Exception {
        return LeaderReads.lastMessage(connection, names.dataStream(), names.dataSubject(p)).map(MessageInfo::getSeq).orElse(0L);
    }
}

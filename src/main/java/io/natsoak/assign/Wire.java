package io.natsoak.assign;

import io.natsoak.model.Json;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON records the partition manager keeps in NATS KV (docs/partition-manager.md describes
 * each field). Times ({@code at}, {@code since}, {@code publishedAt}) are epoch milliseconds of the
 * writer's wall clock and only feed metrics; no safety decision depends on them.
 */
final class Wire {

    private Wire() {
    }

    /**
     * Value of {@code members/<id>}, rewritten by every renewal. {@code inc} is the revision at which the
     * member created the key (its incarnation); it is 0 in the creating write itself, whose revision it is.
     */
    record Heartbeat(String id, long inc, String nonce, long seq, long at, String instance) {
        static Heartbeat decode(byte[] data) {
            return Json.read(data, Heartbeat.class);
        }
    }

    /** Value of {@code leader/leader}. */
    record LeaderClaim(String member, String nonce, long since) {
        static LeaderClaim decode(byte[] data) {
            return Json.read(data, LeaderClaim.class);
        }
    }

    static byte[] encode(Object record) {
        return Json.write(record);
    }

    /** A member incarnation. */
    record MemberRef(String id, long inc) {
    }

    /** The new owner of a partition waits until member {@code id}/{@code inc} confirms, as of version >= movedAt, that it no longer holds it (or is gone). */
    record WaitFor(String id, long inc, long movedAt) {
        MemberRef ref() {
            return new MemberRef(id, inc);
        }
    }

    /** A partition that moved from {@code from}/{@code inc} at {@code version}; {@code since} starts its recovery clock. */
    record Move(String from, long inc, long since, String kind, long version) {
    }

    /** A member incarnation that left or was evicted at {@code version}, with the partitions it owned. */
    record Departure(String id, long inc, long since, String kind, long version, int[] partitions) {
        Departure {
            partitions = partitions == null ? new int[0] : partitions;
        }

        String key() {
            return id + "/" + inc + "/" + version;
        }
    }

    /**
     * The assignment: {@code owners[p]} indexes {@code members} (-1: nobody). {@code waitFor},
     * {@code moves} are keyed by partition and hold only the partitions that need them.
     */
    record Assignment(long version, String leader, long publishedAt, String kind, String strategy, int partitions,
                      List<MemberRef> members, int[] owners, Map<Integer, List<WaitFor>> waitFor,
                      Map<Integer, Move> moves, List<Departure> departures) {
        Assignment {
            members = members == null ? List.of() : List.copyOf(members);
            owners = owners == null ? new int[0] : owners;
            waitFor = waitFor == null ? Map.of() : waitFor;
            moves = moves == null ? Map.of() : moves;
            departures = departures == null ? List.of() : List.copyOf(departures);
        }

        MemberRef ownerOf(int partition) {
            if (partition < 0 || partition >= owners.length) {
                return null;
            }
            int i = owners[partition];
            return i >= 0 && i < members.size() ? members.get(i) : null;
        }

        List<WaitFor> waitFor(int partition) {
            List<WaitFor> w = waitFor.get(partition);
            return w == null ? List.of() : w;
        }

        /** The partitions of one incarnation (none when the record names another incarnation of that id). */
        List<Integer> partitionsOf(String id, long inc) {
            int index = members.indexOf(new MemberRef(id, inc));
            List<Integer> out = new ArrayList<>();
            if (index < 0) {
                return out;
            }
            for (int p = 0; p < owners.length; p++) {
                if (owners[p] == index) {
                    out.add(p);
                }
            }
            return out;
        }

        byte[] encode() {
            return Json.write(this);
        }

        static Assignment decode(byte[] data) {
            Assignment a = Json.read(data, Assignment.class);
            // Jackson gives string-keyed maps back as Integer-keyed only with the declared type; normalise order.
            return new Assignment(a.version, a.leader, a.publishedAt, a.kind, a.strategy, a.partitions, a.members, a.owners,
                    new TreeMap<>(a.waitFor), new TreeMap<>(a.moves), a.departures);
        }
    }

    /** A first message consumed on a partition granted at {@code version}, at {@code at}. */
    record Consumed(int p, long version, long at) {
    }

    /**
     * Value of {@code releases/<id>}, written by the member itself (and by a leader, once, to mark an
     * evicted incarnation gone). Meaning: incarnation {@code inc} has applied assignment version
     * {@code asOf} and holds exactly {@code held} (sorted); it acquires any other partition only through
     * the handoff of a later version. {@code gone}: the incarnation holds nothing and never will again.
     */
    record Release(long inc, long asOf, int[] held, boolean gone, String reason, long at, List<Consumed> consumed) {
        Release {
            held = held == null ? new int[0] : held;
            consumed = consumed == null ? List.of() : List.copyOf(consumed);
        }

        boolean holds(int partition) {
            return Arrays.binarySearch(held, partition) >= 0;
        }

        byte[] encode() {
            return Json.write(this);
        }

        static Release decode(byte[] data) {
            return Json.read(data, Release.class);
        }
    }
}

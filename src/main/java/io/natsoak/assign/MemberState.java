package io.natsoak.assign;

/** What the group view knows of one {@code members} key. Loop-confined. */
final class MemberState {
    final String id;
    /** Revision of the last entry applied from the watch: that replica's numbering, only for ordering its entries. */
    long rev;
    /** The incarnation its heartbeats carry; 0 until its first renewal (the joining write carries none). */
    long inc;
    /** The last heartbeat seen (the value), to recognise the same entry on the stream leader. */
    byte[] value;
    boolean present;
    long firstSeenNanos;
    long createdMs;
    long lastBeatMs;

    MemberState(String id) {
        this.id = id;
    }
}

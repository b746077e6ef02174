package io.natsoak.assign;

/**
 * A lease on a key: the member's on its {@code members} key, or the leader's on the leader key
 * ({@code inc} 0). Valid while its last acknowledged renewal was sent less than the lease
 * (T - M) ago and it has not lapsed. Written by the heartbeat thread and the loop, read anywhere.
 */
final class Lease {

    /** The member id that holds it. */
    final String holder;
    /** The member's incarnation; 0 for a leader lease. */
    final long inc;
    final String nonce;
    /** The stream leader's revision of the key, expected by the next renewal. */
    volatile long rev;
    /** Monotonic time (nanos) at which the lease ends unless renewed. */
    volatile long deadline;
    volatile boolean lapsed;
    /** Heartbeat sequence of the last renewal sent (member leases; heartbeat thread). */
    long seq;

    Lease(String holder, long inc, String nonce, long rev, long deadline) {
        this.holder = holder;
        this.inc = inc;
        this.nonce = nonce;
        this.rev = rev;
        this.deadline = deadline;
    }

    boolean valid(long now) {
        return !lapsed && now - deadline < 0;
    }

    boolean is(String id, long incarnation) {
        return holder.equals(id) && inc == incarnation;
    }
}

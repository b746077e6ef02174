package io.natsoak.worker;

import io.natsoak.assign.PartitionManager;

import java.util.Set;

/**
 * What the partition manager currently gives this worker, asked by every part before it takes,
 * receipts or commits anything. With the static strategy there is no manager and every
 * partition the worker started is its own.
 */
final class Grants {

    private final boolean managed;
    private volatile PartitionManager manager;

    Grants(boolean managed) {
        this.managed = managed;
    }

    void follow(PartitionManager m) {
        this.manager = m;
    }

    PartitionManager manager() {
        return manager;
    }

    /**
     * True while the partition manager still gives us this partition (always, with the static
     * strategy). A grant waits on the handoff thread behind earlier work, and its claim retries
     * through a NATS outage; the lease can lapse meanwhile and the partition go to another member.
     */
    boolean stillGranted(int p) {
        if (!managed) {
            return true;
        }
        PartitionManager m = manager;
        return m != null && m.owns(p);
    }

    /** True while this worker may still receipt and commit the partition. */
    boolean mayReceipt(PartitionState state) {
        PartitionManager m = manager;
        return state.owned && (m == null || m.owns(state.partition));
    }

    void firstMessageConsumed(int p) {
        PartitionManager m = manager;
        if (m != null) {
            m.firstMessageConsumed(p);
        }
    }

    void released(long version, Set<Integer> partitions) {
        PartitionManager m = manager;
        if (m != null) {
            m.released(version, partitions);
        }
    }
}

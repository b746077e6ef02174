package io.natsoak.assign;

import org.jboss.logging.Logger;

import java.util.Collections;
import java.util.Set;
import java.util.function.Supplier;

/** The listener's callbacks (on the loop), each guarded: a failing callback is logged and does not stop the loop. */
final class ListenerCalls implements Holdings.Callbacks {

    private static final Logger LOG = Logger.getLogger(ListenerCalls.class);

    private final PartitionManager.Listener listener;
    private final Supplier<String> who;

    ListenerCalls(PartitionManager.Listener listener, Supplier<String> who) {
        this.listener = listener;
        this.who = who;
    }

    @Override
    public void grant(long version, Set<Integer> partitions) {
        safely("grant", () -> listener.grant(version, partitions));
    }

    @Override
    public void revoke(long version, Set<Integer> partitions) {
        safely("revoke", () -> listener.revoke(version, partitions));
    }

    void fenced(Set<Integer> lost) {
        safely("fenced", () -> listener.fenced(Collections.unmodifiableSet(lost)));
    }

    private void safely(String what, Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s: the listener's %s callback failed", who.get(), what);
        }
    }
}

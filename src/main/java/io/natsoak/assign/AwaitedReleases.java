package io.natsoak.assign;

import io.natsoak.config.ManagerSettings;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who the pending partitions wait for: the release records to poll in case the releases watch
 * stalled, and a warning when the wait is long. Loop-confined.
 */
final class AwaitedReleases {

    private static final Logger LOG = Logger.getLogger(AwaitedReleases.class);

    private final GroupView view;
    private final Holdings holdings;
    private final long evictAfterNanos;
    private long lastWarning;

    AwaitedReleases(GroupView view, Holdings holdings, ManagerSettings settings) {
        this.view = view;
        this.holdings = holdings;
        this.evictAfterNanos = settings.evictAfter().toNanos();
    }

    /** The members whose release records the pending partitions wait for. */
    Set<String> ids(Lease l) {
        Wire.Assignment a = view.current();
        Set<String> ids = new TreeSet<>();
        if (a == null || l == null) {
            return ids;
        }
        for (int p : holdings.pendingPartitions()) {
            for (Wire.WaitFor w : a.waitFor(p)) {
                if (!l.is(w.id(), w.inc()) && !Handoff.confirmed(w, p, view.releases)) {
                    ids.add(w.id());
                }
            }
        }
        return ids;
    }

    /** Logs the members waited for once the oldest pending partition has waited 2(T + G), then every T + G. */
    void warnIfLong(long now, Lease l, String who) {
        long oldest = holdings.oldestPending(now);
        if (now - oldest > 2 * evictAfterNanos && now - lastWarning > evictAfterNanos) {
            lastWarning = now;
            LOG.warnf("%s: %d partitions have waited %d ms for their previous owners' release (version %d): %s",
                    who, holdings.pendingPartitions().size(), (now - oldest) / 1_000_000, holdings.applied(), waitingOn(l));
        }
    }

    private String waitingOn(Lease l) {
        Wire.Assignment a = view.current();
        Map<String, Integer> who = new TreeMap<>();
        for (int p : holdings.pendingPartitions()) {
            for (Wire.WaitFor w : a.waitFor(p)) {
                if (l != null && l.is(w.id(), w.inc())) {
                    continue;
                }
                if (!Handoff.confirmed(w, p, view.releases)) {
                    who.merge(w.id() + "/" + w.inc(), 1, Integer::sum);
                }
            }
        }
        return who.toString();
    }
}

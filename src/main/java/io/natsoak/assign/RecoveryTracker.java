package io.natsoak.assign;

import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's recovery timing: records {@code natsoak.assign.recovery} once every partition of
 * a departed incarnation has had a message consumed by its new owner. Loop-confined.
 */
final class RecoveryTracker {

    private static final Logger LOG = Logger.getLogger(RecoveryTracker.class);

    private final GroupView view;
    private final ManagerMetrics metrics;
    private final Clock clock;
    private final Map<String, Map<Integer, Long>> departureProgress = new HashMap<>();
    private final Set<String> departuresDone = new HashSet<>();

    RecoveryTracker(GroupView view, ManagerMetrics metrics, Clock clock) {
        this.view = view;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** A new leader starts counting afresh. */
    void clear() {
        departureProgress.clear();
        departuresDone.clear();
    }

    /** Records the member-level recovery of each departure once all its partitions were consumed by their new owners. */
    void track() {
        Wire.Assignment current = view.current();
        if (current == null || current.departures().isEmpty()) {
            return;
        }
        Map<Integer, List<Planner.Consumed>> consumedNow = Planner.consumedByPartition(view.releases);
        long nowMs = clock.millis();
        Set<String> keys = new HashSet<>();
        for (Wire.Departure d : current.departures()) {
            keys.add(d.key());
            if (departuresDone.contains(d.key())) {
                continue;
            }
            Map<Integer, Long> seen = departureProgress.computeIfAbsent(d.key(), k -> new HashMap<>());
            long at = Planner.completedAt(d, consumedNow, seen);
            if (at >= 0) {
                departuresDone.add(d.key());
                departureProgress.remove(d.key());
                long took = Math.max(0, at - d.since());
                metrics.recovered(d.kind(), took);
                LOG.infof("recovered from the departure of %s (%s, %d partitions) in %d ms", d.id(), d.kind(), d.partitions().length, took);
            } else if (nowMs - d.since() > Planner.HORIZON_MS) {
                departuresDone.add(d.key());
                departureProgress.remove(d.key());
                metrics.recoveryIncomplete();
            }
        }
        departuresDone.retainAll(keys);
        departureProgress.keySet().retainAll(keys);
    }
}

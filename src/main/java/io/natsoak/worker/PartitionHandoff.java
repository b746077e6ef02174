package io.natsoak.worker;

import io.natsoak.assign.PartitionManager;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.nats.Provisioner;
import io.natsoak.nats.Retry;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Starts, releases and fences partitions, one at a time on the {@code worker-handoff} thread, for
 * the partition manager's callbacks (this is the worker's {@link PartitionManager.Listener}) and
 * for the static strategy and a stop. Flags that stop taking or receipting messages are set at
 * once on the caller's thread; consumers are started and stopped on the handoff thread. One per
 * start of the worker.
 */
final class PartitionHandoff implements PartitionManager.Listener {

    private static final Logger LOG = Logger.getLogger(PartitionHandoff.class);
    /** How long a release waits for what it took to be receipted before it commits without {@code clean}. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** A waiting release re-checks {@code aborting} at least this often (settling and interrupts wake it at once). */
    private static final Duration DRAIN_RECHECK = Duration.ofMillis(200);

    private final Map<Integer, PartitionState> active;
    private final PositionStore positions;
    private final PartitionConsumers consumers;
    private final Grants grants;
    private final String instance;
    private final BooleanSupplier aborting;
    private final OwnedExecutor.Scheduler handoff;

    PartitionHandoff(String component, Map<Integer, PartitionState> active, PositionStore positions, PartitionConsumers consumers,
                     Grants grants, String instance, BooleanSupplier aborting) {
        this.active = active;
        this.positions = positions;
        this.consumers = consumers;
        this.grants = grants;
        this.instance = instance;
        this.aborting = aborting;
        this.handoff = OwnedExecutor.scheduler(component, "handoff");
    }

    @Override
    public void grant(long version, Set<Integer> granted) {
        handoff.executor().execute(() -> {
            for (int p : granted) {
                try {
                    start(p);
                } catch (Exception e) {
                    LOG.errorf("worker %s: cannot start partition %d: %s", instance, p, e);
                }
            }
        });
    }

    @Override
    public void revoke(long version, Set<Integer> revoked) {
        for (int p : revoked) {
            PartitionState s = active.get(p);
            if (s != null) {
                s.accepting = false;
            }
        }
        handoff.executor().execute(() -> {
            for (int p : revoked) {
                release(p);
            }
            grants.released(version, revoked);
        });
    }

    @Override
    public void fenced(Set<Integer> lost) {
        // First stop receipting and committing, right here: another owner may already be reading.
        for (int p : lost) {
            PartitionState s = active.get(p);
            if (s != null) {
                s.accepting = false;
                s.owned = false;
            }
        }
        handoff.executor().execute(() -> lost.forEach(this::drop));
    }

    /** Claims the partition's position and starts its consumer (handoff thread, or the starting thread with the static strategy). */
    void start(int p) throws Exception {
        if (active.containsKey(p)) {
            return;
        }
        PartitionState state = Retry.within(Provisioner.START_PATIENCE, "claiming partition " + p, () -> positions.claim(p));
        if (state == null) {
            LOG.infof("worker %s: partition %d was no longer ours when its claim ran (fenced or moved meanwhile); not started", instance, p);
            return;
        }
        active.put(p, state);
        Retry.within(Provisioner.START_PATIENCE, "consuming partition " + p, () -> consumers.consume(state));
    }

    /** Revoke: stop pulling, wait until everything taken is receipted, commit clean, close the consumer. */
    private void release(int p) {
        PartitionState state = active.get(p);
        if (state == null) {
            return;
        }
        state.accepting = false;
        PartitionConsumers.stop(state);
        boolean clean;
        try {
            clean = state.awaitSettled(DRAIN_TIMEOUT, DRAIN_RECHECK, aborting);
        } catch (InterruptedException e) {
            // The stop is closing this thread: commit what is receipted, not clean.
            Thread.currentThread().interrupt();
            clean = state.allSettled();
        }
        positions.commit(state, clean);
        state.owned = false;
        consumers.close(state, aborting.getAsBoolean());
        active.remove(p);
    }

    /** Fence: the partition is no longer ours; nothing more is receipted or committed for it. */
    private void drop(int p) {
        PartitionState state = active.remove(p);
        if (state != null) {
            state.accepting = false;
            state.owned = false;
            PartitionConsumers.stop(state);
            consumers.close(state, aborting.getAsBoolean());
        }
    }

    /**
     * Ends the handoff thread. A graceful stop first releases, cleanly and in order behind the
     * work already queued, whatever is still ours (static strategy, or left over) and waits for
     * that; an abort interrupts at once.
     */
    void close() {
        if (!aborting.getAsBoolean()) {
            for (int p : new ArrayList<>(active.keySet())) {
                handoff.executor().execute(() -> release(p));
            }
            handoff.executor().shutdown();
            try {
                handoff.executor().awaitTermination(DRAIN_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        handoff.close();
    }
}

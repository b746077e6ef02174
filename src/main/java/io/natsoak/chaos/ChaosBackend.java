package io.natsoak.chaos;

import io.natsoak.model.ChaosLogEntry;

import java.util.List;

/**
 * The narrow port between the chaos operator and the thing it breaks: Kubernetes (pods,
 * Deployments, Events through fabric8) or the local launcher (OS processes, nats-server
 * processes). Everything that goes through NATS (in-place restarts, disconnects, the leak
 * canary, the leader lookup, cluster health) is the operator's own and the same for both.
 * Mutating calls are never made in dry-run mode; the operator checks that before calling.
 */
public interface ChaosBackend extends AutoCloseable {

    /** "kubernetes" or "local", for logs and the chaos log. */
    String name();

    /** The current targets of a kind (pods matching the selector, or processes), ready or not. */
    List<Target> targets(Target.Kind kind) throws Exception;

    /** Kills the target at once: pod delete with grace period 0, SIGKILL. */
    void crash(Target target) throws Exception;

    /** Stops the target with its grace period: pod delete, SIGTERM. */
    void stopGracefully(Target target) throws Exception;

    /** The number of workers asked for (the Deployment's replicas, the launcher's worker processes). */
    int workerReplicas() throws Exception;

    /** Asks for this many workers (scaling down, the platform chooses who leaves: a ReplicaSet takes its youngest pod). */
    void scaleWorkers(int replicas) throws Exception;

    /**
     * True when scaling down may name the worker that leaves ({@link #removeWorker}), so the
     * operator can spare a worker with a fault in flight. A Deployment picks its own, so there the
     * operator waits until no worker has a fault in flight.
     */
    default boolean choosesWhoLeaves() {
        return false;
    }

    /** Scales the workers down by one, {@code leaver} leaving (gracefully). Only where {@link #choosesWhoLeaves()}. */
    default void removeWorker(Target leaver) throws Exception {
        throw new UnsupportedOperationException(name() + " cannot choose which worker leaves");
    }

    /** Kills one NATS server; the StatefulSet (or the local backend, after a delay) brings it back. */
    void killNatsNode(Target target) throws Exception;

    /** Records a fault on its victim where the platform has a place for it (a Kubernetes Event); best effort. */
    default void recordOnVictim(Target target, ChaosLogEntry entry) {
    }

    /** Ends whatever the backend still has pending (a local NATS node waiting to be restarted is restarted now). */
    @Override
    void close();

    /** The target refused the fault (an eviction blocked by a PodDisruptionBudget, a call outside the permitted list). */
    final class Refused extends Exception {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }
}

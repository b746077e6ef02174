package io.natsoak.chaos;

import java.time.Instant;

/**
 * Something a fault can hit: a pod (Kubernetes) or a process (local). {@code name} is also the
 * instance name its control subject uses; {@code startedAt} is when the current incarnation
 * started (pod start time, process start), for the minimum-age rule.
 */
public record Target(String name, Kind kind, boolean ready, Instant startedAt) {

    /** What a target is. */
    public enum Kind {
        PRODUCER, WORKER, VERIFIER, NATS;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}

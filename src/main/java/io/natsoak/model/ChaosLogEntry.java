package io.natsoak.model;

/**
 * One entry of the chaos log (a NATS stream the verifier's report reads): a fault the operator
 * scheduled and what became of it, or ({@link #SCHEDULE_STARTED}) the schedule starting with its
 * seed. {@code at} is epoch milliseconds; {@code step} numbers the schedule's faults from 1.
 */
public record ChaosLogEntry(long at, long seed, long step, String backend, String event, String target, String outcome, String detail) {

    /** The event of the entry a starting operator writes, so the report knows the seed even before the first fault. */
    public static final String SCHEDULE_STARTED = "schedule_started";

    /** True for a fault (not a schedule entry). */
    public boolean fault() {
        return !SCHEDULE_STARTED.equals(event);
    }
}

package io.natsoak.model;

/**
 * One entry of the chaos log (a NATS stream the verifier's report reads): a fault the operator
 * scheduled and what became of it, or ({@link #SCHEDULE_STARTED}) the schedule starting with its
 * seed, or (with {@code recovery}) how long the run took to be healthy again after the fault of the
 * same seed and step. {@code at} is epoch milliseconds; {@code step} numbers the schedule's faults from 1.
 */
public record ChaosLogEntry(long at, long seed, long step, String backend, String event, String target, String outcome, String detail,
                            FaultRecovery recovery) {

    /** The outcomes of a recovery entry. */
    public static final String RECOVERED = "recovered";
    public static final String UNRECOVERED = "unrecovered";

    /** A fault or schedule entry (no recovery). */
    public ChaosLogEntry(long at, long seed, long step, String backend, String event, String target, String outcome, String detail) {
        this(at, seed, step, backend, event, target, outcome, detail, null);
    }

    /** The recovery entry of the fault {@code fault}. */
    public static ChaosLogEntry recoveryOf(ChaosLogEntry fault, long at, FaultRecovery recovery) {
        return new ChaosLogEntry(at, fault.seed(), fault.step(), fault.backend(), fault.event(), fault.target(),
                recovery.recovered() ? RECOVERED : UNRECOVERED, recovery.describe(), recovery);
    }

    /** The event of the entry a starting operator writes, so the report knows the seed even before the first fault. */
    public static final String SCHEDULE_STARTED = "schedule_started";

    /** True for a fault (not a schedule entry, not a recovery). */
    public boolean fault() {
        return !SCHEDULE_STARTED.equals(event) && recovery == null;
    }
}

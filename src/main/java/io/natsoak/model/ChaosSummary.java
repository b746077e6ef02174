package io.natsoak.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The report's {@code chaos} field: the schedule's seeds (one per operator start; rerun with
 * {@code natsoak.chaos.seed} to reproduce), every fault with its time, event, target and outcome,
 * and the counts by event and outcome. {@code faults} lists at most {@link #MAX_LISTED} entries
 * ({@code truncated} says so); the counts are always complete.
 */
public record ChaosSummary(List<Long> seeds, long total, Map<String, Map<String, Long>> byEvent, List<Fault> faults, boolean truncated) {

    public static final int MAX_LISTED = 10_000;
    public static final ChaosSummary NONE = new ChaosSummary(List.of(), 0, Map.of(), List.of(), false);

    /** One fault as the report lists it; {@code time} is ISO-8601 UTC. */
    public record Fault(String time, long step, String event, String target, String outcome, String detail) {
        public static Fault of(ChaosLogEntry e) {
            return new Fault(Instant.ofEpochMilli(e.at()).toString(), e.step(), e.event(), e.target(), e.outcome(), e.detail());
        }
    }
}

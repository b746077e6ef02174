package io.natsoak.model;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The report's {@code chaos} field: the schedule's seeds (one per operator start; rerun with
 * {@code natsoak.chaos.seed} to reproduce), every fault with its time, event, target, outcome and
 * recovery, the counts by event and outcome, and per event how long the run took to be healthy
 * again ({@code recovery}). {@code faults} lists at most {@link #MAX_LISTED} entries
 * ({@code truncated} says so); the counts are always complete.
 */
public record ChaosSummary(List<Long> seeds, long total, Map<String, Map<String, Long>> byEvent, List<Fault> faults, boolean truncated,
                           Map<String, EventRecovery> recovery) {

    public static final int MAX_LISTED = 10_000;
    public static final ChaosSummary NONE = new ChaosSummary(List.of(), 0, Map.of(), List.of(), false, Map.of());

    public ChaosSummary {
        recovery = recovery == null ? Map.of() : recovery;
    }

    /**
     * One fault as the report lists it; {@code time} is ISO-8601 UTC; {@code recovery} is null
     * until the operator has timed it (a fault skipped, refused or failed is never timed).
     */
    public record Fault(String time, long step, String event, String target, String outcome, String detail, FaultRecovery recovery) {
        public static Fault of(ChaosLogEntry e) {
            return new Fault(Instant.ofEpochMilli(e.at()).toString(), e.step(), e.event(), e.target(), e.outcome(), e.detail(), null);
        }

        public Fault withRecovery(FaultRecovery r) {
            return new Fault(time, step, event, target, outcome, detail, r);
        }
    }

    /**
     * One line for the end of a run: per event, median and slowest recovery, slowest first;
     * empty when nothing was timed.
     */
    public Optional<String> describeRecovery() {
        if (recovery.isEmpty()) {
            return Optional.empty();
        }
        String events = recovery.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<String, EventRecovery> e) -> e.getValue().slowestSeconds() == null ? Double.MAX_VALUE
                        : e.getValue().slowestSeconds()).reversed())
                .map(e -> e.getKey() + " " + e.getValue().describe()).collect(Collectors.joining("; "));
        return Optional.of("recovery per fault (median / slowest): " + events);
    }

    /**
     * How one event's faults recovered: {@code timed} were timed, {@code unrecovered} of them
     * were not healthy again within the limit; median and slowest recovery of the others (null when none).
     */
    public record EventRecovery(long timed, long unrecovered, Double medianSeconds, Double slowestSeconds) {
        String describe() {
            String times = medianSeconds == null ? "none recovered" : String.format(Locale.ROOT, "%.1f / %.1f s", medianSeconds, slowestSeconds);
            return times + " (" + timed + " timed" + (unrecovered > 0 ? ", " + unrecovered + " not recovered within the limit" : "") + ")";
        }
    }
}

package io.natsoak.model;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verifier's report: live while the run goes on, final at its end. Users' CI parses it:
 * the field names below are a contract (add fields, never rename or remove).
 */
public record Report(
        String verdict,
        List<String> reasons,
        @JsonProperty("final") boolean last,
        String runId,
        double durationSeconds,
        long published,
        long received,
        long verified,
        long gaps,
        Duplicates duplicates,
        int partitions,
        long inFlight,
        double throughputPerSecond,
        Latency latencyMillis,
        long invalidReceipts,
        int producersFinished,
        List<GapRange> gapSamples,
        Map<String, RoleResources> resources,
        ChaosSummary chaos) {

    /** A report without chaos log (the chaos summary is added by {@link #withChaos}). */
    public Report(String verdict, List<String> reasons, boolean last, String runId, double durationSeconds, long published, long received,
                  long verified, long gaps, Duplicates duplicates, int partitions, long inFlight, double throughputPerSecond,
                  Latency latencyMillis, long invalidReceipts, int producersFinished, List<GapRange> gapSamples,
                  Map<String, RoleResources> resources) {
        this(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions, inFlight,
                throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, ChaosSummary.NONE);
    }

    /** This report with the faults of the chaos log: what was injected, when, on what (the verdict does not depend on it). */
    public Report withChaos(ChaosSummary summary) {
        return new Report(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions,
                inFlight, throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, summary);
    }

    public static final String PASS = "PASS";
    public static final String FAIL = "FAIL";

    public boolean passed() {
        return PASS.equals(verdict);
    }

    /** This report with the resource-growth figures per role and their FAIL reasons (if any) added. */
    public Report withResources(Map<String, RoleResources> byRole, List<String> growthReasons) {
        List<String> all = new ArrayList<>(reasons);
        all.addAll(growthReasons);
        return new Report(all.isEmpty() ? PASS : FAIL, List.copyOf(all), last, runId, durationSeconds, published, received, verified, gaps,
                duplicates, partitions, inFlight, throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples,
                Collections.unmodifiableMap(new TreeMap<>(byRole)), chaos);
    }

    /** Growth of threads, heap after GC and RSS of a role: each one its worst instance's. Null until a figure exists. */
    public record RoleResources(Growth threads, Growth heapAfterGcBytes, Growth rssBytes) {
    }

    /**
     * One resource of one process incarnation: {@code baseline} is the median of its warm-up window,
     * {@code end} the median of its last samples, {@code slopePerHour} the least-squares slope over
     * all its samples; {@code growthPercent} is null when the baseline is 0 (nothing to compare).
     * {@code judged} is false while the warm-up is not over yet.
     */
    public record Growth(String instance, double baseline, double end, Double growthPercent, double slopePerHour, double limitPercent,
                         boolean judged, boolean crossed) {
    }

    /** Duplicates by cause: {@code redelivered} are explained by at-least-once delivery after a fault. */
    public record Duplicates(long redelivered, long unexplained) {
    }

    public record Latency(double p50, double p99, double max) {
    }

    /** Lost sequences {@code from}..{@code to} (inclusive) of one partition. */
    public record GapRange(int partition, long from, long to) {
    }
}

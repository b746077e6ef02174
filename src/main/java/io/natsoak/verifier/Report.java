package io.natsoak.verifier;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

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
        List<GapRange> gapSamples) {

    public static final String PASS = "PASS";
    public static final String FAIL = "FAIL";

    public boolean passed() {
        return PASS.equals(verdict);
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

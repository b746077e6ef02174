package io.natsoak.model;

import java.util.List;
import java.util.Map;

/**
 * One process' resources at one moment, published by every role process on
 * {@code natsoak.<run>.resources.<role>.<instance>}. {@code processStartMillis} identifies the
 * process incarnation: a restarted process (new start time) begins a new growth baseline.
 *
 * @param threads          live threads
 * @param heapAfterGcBytes old generation (long-lived heap) used after the last collection; 0 before the first one
 * @param rssBytes         resident set size; -1 where unknown
 * @param readyAtMillis    when the process was first ready (every component running and its role's
 *                         first unit of work done); 0 while it is still starting. Its baseline
 *                         starts there, never earlier.
 * @param restarts         per component restarted in place: the threads each restart left behind
 *                         (null or empty when nothing was restarted)
 * @param partial          true while a component of the ready process is stopped, disconnected or
 *                         restarted and has not yet done its first unit of work again: the process is
 *                         not whole, so the sample is neither part of a baseline nor an "end". A
 *                         disconnect in a warm-up took a producer's baseline from 35 threads to 29.5
 *                         (its connection's threads were gone), and the verdict called its 35 a leak.
 *                         Absent (false) in samples of earlier versions.
 */
public record ResourceSample(String role, String instance, long processStartMillis, long atMillis, int threads,
                             long heapAfterGcBytes, long rssBytes, long readyAtMillis, Map<String, RestartStats> restarts, boolean partial) {

    /** How many of the last samples make up the "end" value of a growth verdict (the verifier judges it, the chaos operator waits for it). */
    public static final int END_SAMPLES = 5;

    public ResourceSample {
        restarts = restarts == null ? Map.of() : Map.copyOf(restarts);
    }

    /** A sample of a process that is ready since {@code readyAtMillis}, with nothing restarted. */
    public ResourceSample(String role, String instance, long processStartMillis, long atMillis, int threads, long heapAfterGcBytes,
                          long rssBytes, long readyAtMillis) {
        this(role, instance, processStartMillis, atMillis, threads, heapAfterGcBytes, rssBytes, readyAtMillis, Map.of(), false);
    }

    /** A whole sample (every component running) with what in-place restarts left behind. */
    public ResourceSample(String role, String instance, long processStartMillis, long atMillis, int threads, long heapAfterGcBytes,
                          long rssBytes, long readyAtMillis, Map<String, RestartStats> restarts) {
        this(role, instance, processStartMillis, atMillis, threads, heapAfterGcBytes, rssBytes, readyAtMillis, restarts, false);
    }

    /**
     * The in-place restarts (and disconnects) of one component whose aftermath was measured.
     *
     * @param settled restarts measured since the process started
     * @param leaky   of those, the ones that left at least one thread behind
     * @param recent  threads left behind by the most recent measured restarts, oldest first (negative: fewer than before)
     */
    public record RestartStats(int settled, int leaky, List<Integer> recent) {
        public RestartStats {
            recent = recent == null ? List.of() : List.copyOf(recent);
        }
    }
}

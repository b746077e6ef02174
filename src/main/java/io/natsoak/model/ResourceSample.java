package io.natsoak.model;

/**
 * One process' resources at one moment, published by every role process on
 * {@code natsoak.<run>.resources.<role>.<instance>}. {@code processStartMillis} identifies the
 * process incarnation: a restarted process (new start time) begins a new growth baseline.
 *
 * @param threads          live threads
 * @param heapAfterGcBytes old generation (long-lived heap) used after the last collection; 0 before the first one
 * @param rssBytes         resident set size; -1 where unknown
 */
public record ResourceSample(String role, String instance, long processStartMillis, long atMillis, int threads,
                             long heapAfterGcBytes, long rssBytes) {

    /** How many of the last samples make up the "end" value of a growth verdict (the verifier judges it, the chaos operator waits for it). */
    public static final int END_SAMPLES = 5;
}

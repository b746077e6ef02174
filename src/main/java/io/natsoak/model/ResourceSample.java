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
}

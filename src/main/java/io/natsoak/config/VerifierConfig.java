package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** The verifier: when a missing sequence is a gap, how it checkpoints and reports ({@code natsoak.verifier}). */
public interface VerifierConfig {
    /** A missing sequence becomes a gap once the producer acknowledged it this long ago. */
    @WithDefault("30s")
    Duration validationWindow();

    /**
     * After the end of the run, a verdict with sequences still missing waits until no receipt
     * has arrived for this long (workers may be fenced or failing over for a while).
     */
    @WithDefault("60s")
    Duration settleTimeout();

    /** How often a progress line is logged. */
    @WithDefault("5s")
    Duration reportInterval();

    /**
     * How often the verifier checkpoints its state in NATS. A restarted verifier resumes from its
     * last checkpoint and reads the receipts stream on from there (at most this much again).
     */
    @WithDefault("2s")
    Duration checkpointInterval();

    /** Where the final JSON report is written, if anywhere. */
    Optional<String> reportFile();

    /** Exit the process with the verdict's code (0 PASS, 1 FAIL) once the verdict is final. */
    @WithDefault("false")
    boolean exitOnVerdict();
}

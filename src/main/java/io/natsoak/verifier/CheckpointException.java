package io.natsoak.verifier;

/**
 * A stored checkpoint that must not be used: damaged, written by an unknown format version, or
 * belonging to another run or another shape of run. The verifier refuses to start on it rather
 * than start empty, which would report every message it had verified before as lost.
 */
public final class CheckpointException extends Exception {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}

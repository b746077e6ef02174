package io.natsoak.config;

/** What one natsoak process does; one image runs every role. */
public enum Role {
    PRODUCER,
    WORKER,
    VERIFIER,
    CHAOS,
    LOCAL
}

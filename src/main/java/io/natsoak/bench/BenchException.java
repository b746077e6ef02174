package io.natsoak.bench;

/** A scenario could not complete; its message is one line for the user. */
final class BenchException extends RuntimeException {

    BenchException(String message) {
        super(message, null, false, false);
    }
}

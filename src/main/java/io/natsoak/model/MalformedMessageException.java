package io.natsoak.model;

/** A message on a natsoak subject that natsoak cannot read. Counted and logged, never fatal. */
public final class MalformedMessageException extends RuntimeException {

    public MalformedMessageException(String message) {
        super(message, null, false, false);
    }
}

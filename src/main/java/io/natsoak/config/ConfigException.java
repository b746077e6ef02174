package io.natsoak.config;

/**
 * A configuration problem, already phrased as the one line a user sees. Values echoed from the
 * input may hold anything, so control characters are escaped and the line is capped: it stays
 * one line whatever was typed.
 */
public final class ConfigException extends RuntimeException {

    static final int MAX_LENGTH = 1000;

    public ConfigException(String oneLine) {
        super(printable(oneLine), null, false, false);
    }

    static String printable(String text) {
        return io.natsoak.model.Printable.of(text == null ? "invalid configuration" : text, MAX_LENGTH);
    }
}

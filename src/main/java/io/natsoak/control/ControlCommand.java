package io.natsoak.control;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A control-plane request. JSON, e.g. {@code {"command":"restart","component":"worker"}},
 * {@code {"command":"disconnect","seconds":10}}, {@code {"command":"leak","threadsPerMinute":60}}.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ControlCommand(String command, String component, Integer seconds, Integer threadsPerMinute, Long bytesPerMinute) {

    public enum Verb {
        STATUS, RESTART, STOP, START, DISCONNECT, THREADDUMP, GC, LEAK, LEAK_STOP;

        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static String allowed() {
            return Arrays.stream(values()).map(Verb::wire).collect(Collectors.joining(", "));
        }
    }

    /** Strict: unknown fields and wrong types are errors, not silently ignored. */
    private static final com.fasterxml.jackson.databind.ObjectReader READER = io.natsoak.model.Json.MAPPER
            .readerFor(ControlCommand.class)
            .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Parses a request; {@link io.natsoak.model.MalformedMessageException} for anything that is not exactly a command. */
    public static ControlCommand parse(byte[] data) {
        try {
            ControlCommand c = READER.readValue(data);
            if (c == null) {
                throw new io.natsoak.model.MalformedMessageException("empty request");
            }
            return c;
        } catch (java.io.IOException | RuntimeException e) {
            if (e instanceof io.natsoak.model.MalformedMessageException m) {
                throw m;
            }
            String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new io.natsoak.model.MalformedMessageException("not a control command: " + truncate(first));
        }
    }

    public static final int MAX_DISCONNECT_SECONDS = 300;
    public static final int MAX_THREADS_PER_MINUTE = 10_000;
    public static final long MAX_BYTES_PER_MINUTE = 1L << 30;

    /** The verb, or IllegalArgumentException with a message naming what is allowed. */
    public Verb verb() {
        if (command == null) {
            throw new IllegalArgumentException("missing \"command\"; allowed: " + Verb.allowed());
        }
        for (Verb v : Verb.values()) {
            if (v.wire().equals(command)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown command \"" + truncate(command) + "\"; allowed: " + Verb.allowed());
    }

    /** Checks the fields the verb needs; IllegalArgumentException says what is wrong. */
    public Verb validated() {
        Verb v = verb();
        if (v == Verb.DISCONNECT && (seconds == null || seconds < 1 || seconds > MAX_DISCONNECT_SECONDS)) {
            throw new IllegalArgumentException("disconnect needs \"seconds\" from 1 to " + MAX_DISCONNECT_SECONDS);
        }
        if (v == Verb.LEAK) {
            int t = threadsPerMinute == null ? 0 : threadsPerMinute;
            long b = bytesPerMinute == null ? 0 : bytesPerMinute;
            if (t < 0 || t > MAX_THREADS_PER_MINUTE || b < 0 || b > MAX_BYTES_PER_MINUTE || (t == 0 && b == 0)) {
                throw new IllegalArgumentException("leak needs \"threadsPerMinute\" (0 to " + MAX_THREADS_PER_MINUTE
                        + ") and/or \"bytesPerMinute\" (0 to " + MAX_BYTES_PER_MINUTE + "), not both 0");
            }
        }
        return v;
    }

    static String truncate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}

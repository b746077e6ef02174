package io.natsoak.control;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.natsoak.model.MalformedMessageException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A control-plane request. JSON, e.g. {@code {"command":"restart","component":"worker"}},
 * {@code {"command":"disconnect","seconds":10}}, {@code {"command":"leak","threadsPerMinute":60}}.
 * The schema is closed: exactly these fields with exactly these JSON types.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ControlCommand(String command, String component, Integer seconds, Integer threadsPerMinute, Long bytesPerMinute) {

    public enum Verb {
        STATUS, RESTART, STOP, START, DISCONNECT, THREADDUMP, GC, LEAK, LEAK_STOP;

        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static String allowed() {
            return Arrays.stream(values()).map(Verb::wire).collect(Collectors.joining(", "));
        }

        /** Commands that change what a component does (logged at info level with their sender). */
        public boolean acts() {
            return this != STATUS && this != THREADDUMP;
        }
    }

    public static ControlCommand of(Verb verb) {
        return new ControlCommand(verb.wire(), null, null, null, null);
    }

    /** Close the NATS connection for {@code seconds}, then reconnect. */
    public static ControlCommand disconnect(int seconds) {
        return new ControlCommand(Verb.DISCONNECT.wire(), null, seconds, null, null);
    }

    /** Start the leak canary: {@code threadsPerMinute} threads leaked a minute, until {@code leak-stop}. */
    public static ControlCommand leak(int threadsPerMinute) {
        return new ControlCommand(Verb.LEAK.wire(), null, null, threadsPerMinute, null);
    }

    /**
     * A command is a flat object of five short fields; these limits stop hostile input (deep
     * nesting, huge strings or numbers) in the tokenizer, before any of it is built.
     */
    private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(4)
            .maxStringLength(4096)
            .maxNumberLength(32)
            .build();

    /**
     * Strict: unknown fields, duplicate fields, trailing data and wrong JSON types are errors, not
     * silently ignored or coerced ({@code "seconds":"10"} and {@code "seconds":1.5} are refused).
     */
    private static final ObjectReader READER = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(LIMITS).build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build()
            .readerFor(ControlCommand.class);

    /** Parses a request; {@link MalformedMessageException} (one line) for anything that is not exactly a command. */
    public static ControlCommand parse(byte[] data) {
        if (data == null || data.length == 0) {
            throw new MalformedMessageException("empty request; allowed: a JSON object such as {\"command\":\"status\"}");
        }
        try {
            ControlCommand c = READER.readValue(data);
            if (c == null) {
                throw new MalformedMessageException("empty request; allowed: a JSON object such as {\"command\":\"status\"}");
            }
            return c;
        } catch (MalformedMessageException e) {
            throw e;
        } catch (java.io.IOException | RuntimeException | StackOverflowError e) {
            String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new MalformedMessageException("not a control command: " + printable(first)
                    + "; allowed: a JSON object with \"command\" and, where the command needs them, \"component\", \"seconds\","
                    + " \"threadsPerMinute\", \"bytesPerMinute\"");
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
        throw new IllegalArgumentException("unknown command \"" + printable(command) + "\"; allowed: " + Verb.allowed());
    }

    /** Checks the fields the verb needs; IllegalArgumentException says what is wrong. */
    public Verb validated() {
        Verb v = verb();
        if (v == Verb.DISCONNECT && (seconds == null || seconds < 1 || seconds > MAX_DISCONNECT_SECONDS)) {
            throw new IllegalArgumentException("disconnect needs \"seconds\" from 1 to " + MAX_DISCONNECT_SECONDS);
        }
        if (v != Verb.DISCONNECT && seconds != null) {
            throw new IllegalArgumentException(v.wire() + " takes no \"seconds\"; allowed: \"seconds\" with disconnect only");
        }
        if (v == Verb.LEAK) {
            int t = threadsPerMinute == null ? 0 : threadsPerMinute;
            long b = bytesPerMinute == null ? 0 : bytesPerMinute;
            if (t < 0 || t > MAX_THREADS_PER_MINUTE || b < 0 || b > MAX_BYTES_PER_MINUTE || (t == 0 && b == 0)) {
                throw new IllegalArgumentException("leak needs \"threadsPerMinute\" (0 to " + MAX_THREADS_PER_MINUTE
                        + ") and/or \"bytesPerMinute\" (0 to " + MAX_BYTES_PER_MINUTE + "), not both 0");
            }
        } else if (threadsPerMinute != null || bytesPerMinute != null) {
            throw new IllegalArgumentException(v.wire() + " takes no \"threadsPerMinute\" or \"bytesPerMinute\"; allowed: with leak only");
        }
        boolean takesComponent = v == Verb.RESTART || v == Verb.STOP || v == Verb.START || v == Verb.DISCONNECT;
        if (!takesComponent && component != null) {
            throw new IllegalArgumentException(v.wire() + " takes no \"component\"; allowed: with restart, stop, start, disconnect");
        }
        return v;
    }

    /**
     * {@link #validated()}, and the component named, if any, is one of {@code components} (or "all"):
     * checked before the server logs the command, so a request for a component that does not exist
     * is refused as such instead of appearing in the log as a restart.
     */
    public Verb validated(java.util.Collection<String> components) {
        Verb v = validated();
        if (component != null && !component.equals(ALL) && !components.contains(component)) {
            throw new IllegalArgumentException("unknown component \"" + printable(component) + "\"; allowed: " + ALL
                    + (components.isEmpty() ? "" : ", " + String.join(", ", components)));
        }
        return v;
    }

    /** The component name that means every component of the process. */
    public static final String ALL = "all";

    /**
     * Text from a request, safe to echo in a reply or a log line: at most 120 characters, control
     * characters escaped (a hostile request must not be able to forge log lines).
     */
    static String printable(String s) {
        return io.natsoak.model.Printable.of(s, 120);
    }
}

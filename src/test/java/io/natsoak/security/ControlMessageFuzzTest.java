package io.natsoak.security;

import io.nats.client.impl.Headers;
import io.natsoak.control.ControlCommand;
import io.natsoak.control.ControlSender;
import io.natsoak.model.MalformedMessageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Control-message parsing under hostile input: random bytes, mutated commands, random JSON of
 * every shape (deep, huge, wrong types, unknown and duplicate keys). Whatever arrives, parsing
 * and validation either yield a command within its limits or one clear line; nothing else
 * escapes. Seeded: a failure names the seed and the input ({@code -Dnatsoak.fuzz.seed=N} repeats it).
 */
class ControlMessageFuzzTest {

    private static final long SEED = Long.getLong("natsoak.fuzz.seed", 20261124L);
    private static final int ITERATIONS = Integer.getInteger("natsoak.fuzz.iterations", 20_000);

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"command\":\"status\"}",
            "{\"command\":\"restart\",\"component\":\"worker\"}",
            "{\"command\":\"disconnect\",\"seconds\":10}",
            "{\"command\":\"leak\",\"threadsPerMinute\":60,\"bytesPerMinute\":1024}",
            " {\"command\" : \"leak-stop\"} ",
    })
    void wellFormedCommandsParse(String json) {
        ControlCommand c = ControlCommand.parse(json.getBytes(StandardCharsets.UTF_8));
        assertThat(c.validated()).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "null",
            "[]",
            "\"status\"",
            "{\"command\":\"status\"} {}",
            "{\"command\":\"status\",\"command\":\"stop\"}",
            "{\"command\":5}",
            "{\"command\":[\"status\"]}",
            "{\"command\":\"disconnect\",\"seconds\":\"10\"}",
            "{\"command\":\"disconnect\",\"seconds\":1.5}",
            "{\"command\":\"disconnect\",\"seconds\":1e3}",
            "{\"command\":\"disconnect\",\"seconds\":99999999999}",
            "{\"command\":\"disconnect\",\"seconds\":true}",
            "{\"command\":\"status\",\"extra\":1}",
            "{\"command\":\"status\",\"component\":{\"a\":{\"b\":{\"c\":{}}}}}",
            "{\"command\":\"status\",\"seconds\":5}",
            "{\"command\":\"status\",\"component\":\"worker\"}",
            "{\"command\":\"leak\"}",
            "{\"command\":\"leak\",\"threadsPerMinute\":-1}",
            "{\"command\":\"explode\"}",
            "{\"command\":\"sta\\u0000tus\\n[ERROR] forged log line\"}",
            "{'command':'status'}",
            "{command:status}",
    })
    void malformedOrInvalidCommandsGiveOneLine(String json) {
        assertOneLineRejection(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Checked before the server logs the command: a restart of "nope" must not appear in the log as a restart. */
    @Test
    void anUnknownComponentIsRefusedBeforeTheCommandIsLogged() {
        ControlCommand nope = ControlCommand.parse("{\"command\":\"restart\",\"component\":\"nope\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(nope.validated()).isEqualTo(ControlCommand.Verb.RESTART);
        assertThatThrownBy(() -> nope.validated(List.of("worker")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown component \"nope\"; allowed: all, worker");
        for (String component : List.of("worker", "all")) {
            ControlCommand known = ControlCommand.parse(("{\"command\":\"restart\",\"component\":\"" + component + "\"}")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(known.validated(List.of("worker"))).isEqualTo(ControlCommand.Verb.RESTART);
        }
        assertThat(ControlCommand.parse("{\"command\":\"restart\"}".getBytes(StandardCharsets.UTF_8)).validated(List.of("worker")))
                .isEqualTo(ControlCommand.Verb.RESTART);
    }

    @Test
    void echoedTextIsEscapedAndShortened() {
        String forged = "{\"command\":\"x\\n2026-11-24 ERROR forged\\u2028" + "y".repeat(2_000) + "\"}";
        assertThatThrownBy(() -> ControlCommand.parse(forged.getBytes(StandardCharsets.UTF_8)).validated())
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains("x\\n2026").contains("\\u2028").doesNotContain("\n").hasSizeLessThan(400));
    }

    @Test
    void nestingAndSizeAreStoppedInTheTokenizer() {
        String deep = "{\"command\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertOneLineRejection(deep.getBytes(StandardCharsets.UTF_8));
        String hugeNumber = "{\"command\":\"disconnect\",\"seconds\":" + "9".repeat(100_000) + "}";
        assertOneLineRejection(hugeNumber.getBytes(StandardCharsets.UTF_8));
        String hugeString = "{\"command\":\"" + "a".repeat(1_000_000) + "\"}";
        assertOneLineRejection(hugeString.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void randomInputNeverEscapesAsAnythingButOneLine() {
        Random random = new Random(SEED);
        JsonFuzz fuzz = new JsonFuzz(random, List.of("command", "component", "seconds", "threadsPerMinute", "bytesPerMinute"),
                List.of("status", "restart", "stop", "start", "disconnect", "threaddump", "gc", "leak", "leak-stop", "worker", "all"));
        int accepted = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = switch (i % 4) {
                case 0 -> fuzz.randomBytes(1 + random.nextInt(300));
                case 1 -> fuzz.mutate(fuzz.validCommand().getBytes(StandardCharsets.UTF_8));
                case 2 -> fuzz.randomJson(0).getBytes(StandardCharsets.UTF_8);
                default -> fuzz.randomObject(1 + random.nextInt(4)).getBytes(StandardCharsets.UTF_8);
            };
            if (parsesWithinLimits(input, i)) {
                accepted++;
            }
        }
        // The generator reaches the valid part of the input space too, not only garbage.
        assertThat(accepted).as("accepted commands among %d inputs", ITERATIONS).isGreaterThan(ITERATIONS / 500);
    }

    @Test
    void senderHeadersAreReadStrictly() {
        assertThat(sender("chaos/natsoak-chaos-0")).get().extracting(ControlSender::role).isEqualTo("chaos");
        for (String bad : List.of("", "chaos", "/x", "chaos/", "Chaos/x", "chaos/x/y", "chaos/x\u0000", "chaos /x", "c".repeat(40) + "/x")) {
            assertThat(sender(bad)).as(bad).isEmpty();
        }
        assertThat(ControlSender.of(new Headers().put(ControlSender.HEADER, "chaos/a", "chaos/b"))).as("two values").isEmpty();
        assertThat(ControlSender.of(null)).isEmpty();
        assertThat(ControlSender.of(new Headers())).isEmpty();
        Random random = new Random(SEED);
        JsonFuzz fuzz = new JsonFuzz(random, List.of(), List.of("chaos/", "/", "chaos"));
        for (int i = 0; i < 5_000; i++) {
            String value = fuzz.randomString(1 + random.nextInt(60));
            sender(value).ifPresent(s -> assertThat(s.wire()).isEqualTo(value));
        }
    }

    /** The sender a header value names; empty also when jnats refuses the value (control characters) before it is ever sent. */
    private static java.util.Optional<ControlSender> sender(String value) {
        Headers headers;
        try {
            headers = new Headers().put(ControlSender.HEADER, value);
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
        return ControlSender.of(headers);
    }

    /** True if the input is a valid command; fails the test if anything but a one-line rejection escapes. */
    private static boolean parsesWithinLimits(byte[] input, int iteration) {
        try {
            ControlCommand c = ControlCommand.parse(input);
            ControlCommand.Verb v = c.validated();
            if (v == ControlCommand.Verb.DISCONNECT) {
                assertThat(c.seconds()).isBetween(1, ControlCommand.MAX_DISCONNECT_SECONDS);
            }
            return true;
        } catch (MalformedMessageException | IllegalArgumentException e) {
            assertOneLine(e.getMessage(), input, iteration);
            return false;
        } catch (Throwable t) {
            throw new AssertionError("seed " + SEED + ", iteration " + iteration + ": " + t + " escaped for input " + show(input), t);
        }
    }

    private static void assertOneLineRejection(byte[] input) {
        try {
            ControlCommand.parse(input).validated();
            throw new AssertionError("accepted " + show(input));
        } catch (MalformedMessageException | IllegalArgumentException e) {
            assertOneLine(e.getMessage(), input, -1);
        }
    }

    private static void assertOneLine(String message, byte[] input, int iteration) {
        assertThat(message).as("seed %d, iteration %d, input %s", SEED, iteration, show(input))
                .isNotBlank().doesNotContain("\n").doesNotContain("\r").doesNotContain("\u2028").hasSizeLessThan(700);
    }

    static String show(byte[] input) {
        String s = new String(input, 0, Math.min(input.length, 200), StandardCharsets.UTF_8);
        return "\"" + s.replace("\n", "\\n") + "\"" + (input.length > 200 ? "... (" + input.length + " bytes)" : "");
    }
}

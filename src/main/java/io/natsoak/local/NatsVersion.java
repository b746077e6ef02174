package io.natsoak.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What {@code nats-server --version} says ("nats-server: v2.10.27"): the proof a binary runs, and its version. */
final class NatsVersion {

    private static final Pattern VERSION = Pattern.compile("nats-server:? v?(\\d+\\.\\d+\\.\\d+\\S*)");
    private static final long TIMEOUT_SECONDS = 10;

    private NatsVersion() {
    }

    /** The version the binary reports, empty when it does not run or says something else. */
    static Optional<String> of(Path binary) throws InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(List.of(binary.toString(), "--version")).redirectErrorStream(true).start();
        } catch (IOException e) {
            return Optional.empty();
        }
        try {
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                return Optional.empty();
            }
            // One short line: it fits the pipe, so reading after the exit cannot block.
            return parse(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        } finally {
            p.destroyForcibly();
        }
    }

    static Optional<String> parse(String output) {
        Matcher m = VERSION.matcher(output);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}

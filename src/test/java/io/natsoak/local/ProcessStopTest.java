package io.natsoak.local;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessStopTest {

    /** 128 + the signal's number: how a shell reports a process ended by that signal. */
    private static final int SIGTERMED = 128 + 15;
    private static final int SIGKILLED = 128 + 9;

    @Test
    void aProcessThatHonoursSigtermEndsWithinItsGrace() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();

        assertThat(ProcessStop.stop("sleeper", p, Duration.ofSeconds(10))).isTrue();

        assertThat(p.isAlive()).isFalse();
        assertThat(p.exitValue()).isEqualTo(SIGTERMED);
    }

    @Test
    void aProcessThatIgnoresSigtermIsKilledAfterItsGrace() throws Exception {
        Process deaf = deafToSigterm();
        Process polite = new ProcessBuilder("sleep", "60").start();
        long t0 = System.nanoTime();

        assertThat(ProcessStop.stop("sleepers", List.of(deaf, polite), Duration.ofMillis(500))).isTrue();

        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        assertThat(deaf.exitValue()).isEqualTo(SIGKILLED);
        assertThat(polite.exitValue()).isEqualTo(SIGTERMED);
    }

    @Test
    void noGraceKillsAtOnce() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();

        assertThat(ProcessStop.stop("sleeper", p, Duration.ZERO)).isTrue();

        assertThat(p.exitValue()).isEqualTo(SIGKILLED);
    }

    @Test
    void anInterruptedStopKeepsTheFlagAndLeavesNothingRunning() throws Exception {
        Process deaf = deafToSigterm();
        Thread.currentThread().interrupt();
        try {
            ProcessStop.stop("sleeper", deaf, Duration.ofSeconds(30));

            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(deaf.onExit().get().exitValue()).isEqualTo(SIGKILLED);
    }

    /** A process that ignores SIGTERM, returned once it does (exec: the sleep inherits the ignored signal). */
    private static Process deafToSigterm() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "trap '' TERM; echo deaf; exec sleep 60").start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("deaf");
        }
        return p;
    }
}

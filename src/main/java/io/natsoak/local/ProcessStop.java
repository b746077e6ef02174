package io.natsoak.local;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one way natsoak stops its child processes (nats-servers, role processes, Prometheus):
 * SIGTERM, a grace period, then SIGKILL. An interrupted wait keeps the interrupt flag and
 * SIGKILLs what is left without waiting, so a stop never hangs and never leaves a process behind.
 */
final class ProcessStop {

    private static final Logger LOG = Logger.getLogger(ProcessStop.class);
    /** How long a SIGKILLed process may take to be gone (only a process stuck in the kernel takes longer). */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private ProcessStop() {
    }

    /** SIGKILL (a real crash: nothing runs on the way out) and waits up to {@link #KILL_WAIT}; true when it exited. */
    static boolean kill(Process p) {
        p.destroyForcibly();
        return awaitExit(p, KILL_WAIT);
    }

    /** {@link #stop(String, List, Duration)} of one process. */
    static boolean stop(String what, Process p, Duration grace) {
        return stop(what, List.of(p), grace);
    }

    /**
     * SIGTERM to every live process (SIGKILL at once when {@code grace} is zero), waits for them
     * all up to {@code grace} together, then SIGKILLs the rest and waits up to {@link #KILL_WAIT}.
     *
     * @param what names the processes in the log ("NATS", "worker-0", "Prometheus")
     * @return true when every process exited
     */
    static boolean stop(String what, List<Process> processes, Duration grace) {
        List<Process> running = new ArrayList<>();
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                running.add(p);
                if (grace.isZero()) {
                    p.destroyForcibly();
                } else {
                    p.destroy(); // SIGTERM on Unix
                }
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        boolean allGone = true;
        for (Process p : running) {
            long remaining = deadline - System.nanoTime();
            if (remaining > 0) {
                awaitExit(p, Duration.ofNanos(remaining));
            }
            if (p.isAlive()) {
                if (!grace.isZero()) {
                    LOG.warnf("%s pid %d did not exit within %d s after SIGTERM; sending SIGKILL", what, p.pid(), grace.toSeconds());
                }
                if (!kill(p)) {
                    allGone = false;
                    LOG.warnf("%s pid %d still alive %d s after SIGKILL", what, p.pid(), KILL_WAIT.toSeconds());
                }
            }
        }
        return allGone;
    }

    /** Waits for the process to exit; true if it did within the time. Keeps the interrupt flag (and then does not wait). */
    static boolean awaitExit(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }
}

package io.natsoak.nats;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Retries an operation through NATS failovers (a stream leader election makes requests fail
 * for about 7 s on a 3-node 2.9 cluster). Backs off from 100 ms to 2 s; gives up only when the
 * caller is stopping.
 */
public final class Retry {

    private static final long FIRST_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 2_000;

    @FunctionalInterface
    public interface Attempt<T> {
        T run() throws Exception;
    }

    /** Thrown when the caller began stopping before the operation succeeded. */
    public static final class Abandoned extends Exception {
        public Abandoned(String what, Exception last) {
            super(what + " abandoned while stopping" + (last == null ? "" : ": " + last.getMessage()), last);
        }
    }

    private Retry() {
    }

    /**
     * Runs {@code attempt} until it succeeds or {@code stopping} says to give up.
     *
     * @param onFailure told each failure and how many came before it, for logging and metrics
     */
    public static <T> T until(String what, BooleanSupplier stopping, Attempt<T> attempt, FailureListener onFailure)
            throws Abandoned, InterruptedException {
        long backoff = FIRST_BACKOFF_MS;
        Exception last = null;
        for (int failures = 0; !stopping.getAsBoolean(); failures++) {
            try {
                return attempt.run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                last = e;
                onFailure.failed(what, failures, e);
                Thread.sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
        throw new Abandoned(what, last);
    }

    /**
     * Runs {@code attempt} until it succeeds or {@code patience} has passed (start-up work: a
     * bucket just created has no leader for a moment, a cluster may still be forming).
     */
    public static <T> T within(java.time.Duration patience, String what, Attempt<T> attempt) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        long backoff = FIRST_BACKOFF_MS;
        while (true) {
            try {
                return attempt.run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (System.nanoTime() + backoff * 1_000_000 > deadline) {
                    throw e;
                }
                org.jboss.logging.Logger.getLogger(Retry.class).infof("%s failed (%s); retrying", what, e.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
    }

    /** Receives each failed attempt. */
    @FunctionalInterface
    public interface FailureListener {
        void failed(String what, int previousFailures, Exception error);
    }

    public static Duration maxBackoff() {
        return Duration.ofMillis(MAX_BACKOFF_MS);
    }
}

package io.natsoak.lifecycle;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Creates single-thread schedulers with named threads, and stops them so that their threads are really gone. */
public final class OwnedExecutor {

    private static final Logger LOG = Logger.getLogger(OwnedExecutor.class);
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private OwnedExecutor() {
    }

    public record Scheduler(ScheduledExecutorService executor, NamedThreads threads) {
        public void close() {
            OwnedExecutor.close(executor, threads);
        }
    }

    public static Scheduler scheduler(String component, String purpose) {
        NamedThreads threads = new NamedThreads(component, purpose);
        return new Scheduler(Executors.newSingleThreadScheduledExecutor(threads), threads);
    }

    /** shutdownNow, wait for termination, then for the threads themselves to exit. */
    public static void close(ExecutorService executor, NamedThreads threads) {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warnf("an executor of %s did not terminate within %s", threads, PATIENCE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.awaitExit(PATIENCE);
    }
}

package io.natsoak.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factory giving every thread a {@code <component>-<purpose>-<n>} name, so a census can
 * attribute it. It remembers the threads it made, so an owner can wait until they have really
 * exited ({@link #awaitExit}): an executor's awaitTermination returns while its last thread may
 * still be alive for a moment, and a stop must not return before its threads are gone.
 */
public final class NamedThreads implements ThreadFactory {

    private final String prefix;
    private final AtomicInteger counter = new AtomicInteger();
    private final List<Thread> made = new ArrayList<>();

    public NamedThreads(String component, String purpose) {
        this.prefix = component + "-" + purpose + "-";
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(r, prefix + counter.incrementAndGet());
        t.setDaemon(true);
        synchronized (made) {
            made.removeIf(old -> !old.isAlive());
            made.add(t);
        }
        return t;
    }

    /** Waits until every thread this factory made has exited; false if some are still alive after {@code timeout}. */
    public boolean awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Thread> threads;
        synchronized (made) {
            threads = new ArrayList<>(made);
        }
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return !t.isAlive();
            }
            try {
                t.join(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }
}

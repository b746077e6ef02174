package io.natsoak.control;

import io.natsoak.lifecycle.NamedThreads;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The bug natsoak exists to catch, on purpose: a component whose start has no guard and whose
 * stop does not close what start opened, so every restart adds a loop. Used to show that the
 * leak test fails when it should.
 */
final class UnguardedLoop {

    private final List<Thread> loops = new ArrayList<>();
    private final CountDownLatch end = new CountDownLatch(1);

    void start() {
        Thread t = new NamedThreads("worker", "unguarded-loop").newThread(() -> {
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        loops.add(t);
    }

    void stop() {
        // Forgets to stop the loop: the incident, reproduced.
    }

    /** Test cleanup only. */
    void releaseForCleanup() throws InterruptedException {
        end.countDown();
        for (Thread t : loops) {
            t.join();
        }
    }
}

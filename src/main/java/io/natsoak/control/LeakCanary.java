package io.natsoak.control;

import io.natsoak.lifecycle.OwnedExecutor;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Deliberately leaks threads and memory at a given rate, so users can prove that their growth
 * alerts and natsoak's resource verdict fire. Refused unless enabled in configuration. Leaked
 * threads are named {@code canary-leak-<n>}; {@link #end()} stops leaking and releases
 * everything (so it is also safe to leave on by mistake and then turn off).
 */
public final class LeakCanary {

    private static final Logger LOG = Logger.getLogger(LeakCanary.class);
    private static final long TICK_MILLIS = 250;

    private final boolean enabled;
    private final int threadsPerRestart;
    private OwnedExecutor.Scheduler ticker;
    private final List<Thread> threads = new ArrayList<>();
    private final List<byte[]> memory = new ArrayList<>();
    private CountDownLatch release = new CountDownLatch(1);
    private double threadDebt;
    private double byteDebt;
    private long leakedBytes;

    public LeakCanary(boolean enabled) {
        this(enabled, 0);
    }

    /**
     * @param threadsPerRestart threads to leak at every in-place restart or reconnect of a component
     *                          (natsoak.control.leak-threads-per-restart; only when enabled): the
     *                          incident's shape, a restart that starts another copy of a loop
     */
    public LeakCanary(boolean enabled, int threadsPerRestart) {
        this.enabled = enabled;
        this.threadsPerRestart = enabled ? threadsPerRestart : 0;
    }

    /**
     * A component was restarted in place: leaks {@code threadsPerRestart} threads named
     * {@code <component>-leaked-<n>}, so they count as the component's own (as a second copy of
     * its loop would). Released by {@link #end()} like every other leaked thread.
     */
    public synchronized void onRestart(String component) {
        CountDownLatch latch = release;
        for (int i = 0; i < threadsPerRestart; i++) {
            Thread t = new Thread(() -> awaitQuietly(latch), component + "-leaked-" + (threads.size() + 1));
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        if (threadsPerRestart > 0) {
            LOG.warnf("leak canary: the restart of %s leaked %d thread(s) on purpose (%d leaked in all)", component, threadsPerRestart,
                    threads.size());
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /** Starts (or changes the rate of) leaking; throws IllegalStateException when not enabled. */
    public void begin(int threadsPerMinute, long bytesPerMinute) {
        if (!enabled) {
            throw new IllegalStateException("the leak canary is disabled; enable it with natsoak.control.leak-canary=true");
        }
        stopTicking();
        synchronized (this) {
            startTicking(threadsPerMinute, bytesPerMinute);
        }
    }

    private void startTicking(int threadsPerMinute, long bytesPerMinute) {
        double ticksPerMinute = 60_000.0 / TICK_MILLIS;
        double threadsPerTick = threadsPerMinute / ticksPerMinute;
        double bytesPerTick = bytesPerMinute / ticksPerMinute;
        ticker = OwnedExecutor.scheduler("canary", "tick");
        ticker.executor().scheduleAtFixedRate(() -> tick(threadsPerTick, bytesPerTick), TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        LOG.warnf("leak canary ON: %d threads and %d bytes per minute", threadsPerMinute, bytesPerMinute);
    }

    private synchronized void tick(double threadsPerTick, double bytesPerTick) {
        threadDebt += threadsPerTick;
        byteDebt += bytesPerTick;
        CountDownLatch latch = release;
        while (threadDebt >= 1) {
            threadDebt -= 1;
            Thread t = new Thread(() -> awaitQuietly(latch), "canary-leak-" + (threads.size() + 1));
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        if (byteDebt >= 1) {
            int chunk = (int) Math.min(byteDebt, Integer.MAX_VALUE - 16);
            memory.add(new byte[chunk]);
            leakedBytes += chunk;
            byteDebt -= chunk;
        }
    }

    /** Stops leaking and releases every leaked thread and byte. */
    public void end() {
        stopTicking();
        releaseAll();
    }

    private synchronized void releaseAll() {
        release.countDown();
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.clear();
        memory.clear();
        leakedBytes = 0;
        threadDebt = 0;
        byteDebt = 0;
        release = new CountDownLatch(1);
    }

    public synchronized int leakedThreads() {
        return threads.size();
    }

    public synchronized long leakedBytes() {
        return leakedBytes;
    }

    public synchronized boolean leaking() {
        return ticker != null;
    }

    /** Outside the lock: the tick it waits for needs the lock. */
    private void stopTicking() {
        OwnedExecutor.Scheduler t;
        synchronized (this) {
            t = ticker;
            ticker = null;
        }
        if (t != null) {
            t.close();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

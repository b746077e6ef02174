package io.natsoak.assign;

import io.natsoak.lifecycle.OwnedExecutor;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The manager's loop thread ({@code assign-loop-n}): every state change and listener callback
 * runs here, one at a time. Each task runs between {@code before} (the lease check) and
 * {@code after} (the release record, if it changed). After {@link #close} tasks are dropped.
 */
final class Loop {

    private static final Logger LOG = Logger.getLogger(Loop.class);

    private final Supplier<String> who;
    private Runnable before = () -> { };
    private Runnable after = () -> { };
    private volatile OwnedExecutor.Scheduler scheduler;
    private volatile Thread thread;
    private volatile boolean closed = true;

    Loop(Supplier<String> who) {
        this.who = who;
    }

    /** The hooks around every task; set before {@link #start}. */
    void around(Runnable before, Runnable after) {
        this.before = before;
        this.after = after;
    }

    /** Tasks are accepted from now on, even before the thread exists (they are dropped until then). */
    void open() {
        closed = false;
    }

    void start() {
        OwnedExecutor.Scheduler s = OwnedExecutor.scheduler(PartitionManager.COMPONENT, "loop");
        scheduler = s;
        s.executor().execute(() -> thread = Thread.currentThread());
    }

    boolean closed() {
        return closed;
    }

    boolean onLoopThread() {
        return Thread.currentThread() == thread;
    }

    /** Runs a task on the loop; after stop, silently drops it. */
    void post(Runnable task) {
        ScheduledExecutorService ex = executor();
        if (ex == null || closed) {
            return;
        }
        try {
            ex.execute(() -> run(task));
        } catch (RejectedExecutionException ignored) {
            // stopping
        }
    }

    /** Runs a task on the loop without the hooks (a rejoin, which may block for long). */
    void execute(Runnable task) {
        ScheduledExecutorService ex = executor();
        if (ex != null) {
            try {
                ex.execute(task);
            } catch (RejectedExecutionException ignored) {
                // stopping
            }
        }
    }

    /** Runs the hooks alone after {@code delayMs} (a retry of the release record). */
    void nudgeLater(long delayMs) {
        ScheduledExecutorService ex = executor();
        if (ex != null && !closed) {
            try {
                ex.schedule(() -> run(() -> { }), delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException ignored) {
                // stopping
            }
        }
    }

    void every(long periodMs, Runnable task) {
        executor().scheduleWithFixedDelay(() -> run(task), periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} on the loop and waits for its result; {@code otherwise} on timeout or after stop. */
    <T> T call(Callable<T> task, Duration patience, T otherwise) {
        CompletableFuture<T> result = new CompletableFuture<>();
        post(() -> {
            try {
                result.complete(task.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return await(result, patience, otherwise);
    }

    static <T> T await(CompletableFuture<T> future, Duration patience, T otherwise) {
        try {
            return future.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return otherwise;
        } catch (ExecutionException | TimeoutException e) {
            return otherwise;
        }
    }

    /** Drops every task from now on (the thread keeps running until {@link #close}). */
    void stopAccepting() {
        closed = true;
    }

    /** Stops accepting tasks and stops the thread; from the loop thread itself it cannot wait for itself. */
    void close() {
        closed = true;
        OwnedExecutor.Scheduler s = scheduler;
        if (s != null) {
            if (onLoopThread()) {
                s.executor().shutdownNow();
            } else {
                s.close();
            }
        }
        scheduler = null;
        thread = null;
    }

    /** The executor, for a test that blocks the loop (a frozen process). */
    ScheduledExecutorService executor() {
        OwnedExecutor.Scheduler s = scheduler;
        return s == null ? null : s.executor();
    }

    private void run(Runnable task) {
        if (closed) {
            return;
        }
        try {
            before.run();
            task.run();
            after.run();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s: partition manager task failed", who.get());
        }
    }
}

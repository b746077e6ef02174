package io.natsoak.lifecycle;

import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The start guard and stop discipline of {@link Component}, written once. Subclasses implement
 * {@link #doStart()} (open things) and {@link #doStop()} (close whatever is open, tolerating
 * things that were never opened). Start and stop are serialised by one lock, so concurrent
 * starts start one copy.
 */
public abstract class GuardedComponent implements Component {

    private static final Logger LOG = Logger.getLogger(GuardedComponent.class);

    private final String name;
    private final Object lifecycleLock = new Object();
    private volatile State state = State.STOPPED;
    private volatile boolean aborting;
    /** Set by the component once it has done its first unit of work since its last start (see {@link #working()}). */
    private volatile boolean workedSinceStart;
    private final AtomicLong ignoredStarts = new AtomicLong();

    protected GuardedComponent(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final State state() {
        return state;
    }

    /** Starts that found the component already running (the bug natsoak exists to catch). */
    public final long ignoredStarts() {
        return ignoredStarts.get();
    }

    @Override
    public final boolean start() throws Exception {
        synchronized (lifecycleLock) {
            if (state == State.RUNNING || state == State.STARTING) {
                ignoredStarts.incrementAndGet();
                LOG.debugf("%s: start ignored, already %s", name, state);
                return false;
            }
            state = State.STARTING;
            workedSinceStart = false;
            try {
                doStart();
                state = State.RUNNING;
                return true;
            } catch (Exception | Error e) {
                LOG.warnf("%s: start failed (%s); releasing what it opened", name, e.toString());
                safeStop();
                state = State.STOPPED;
                throw e;
            }
        }
    }

    /**
     * Stops without draining: the NATS connection is dropped first (as a network cut would),
     * then everything is released. What was in flight is not flushed; it is replayed by the
     * next owner. Used by the control plane's {@code disconnect}.
     */
    public final void abort() {
        synchronized (lifecycleLock) {
            if (state == State.STOPPED) {
                return;
            }
            aborting = true;
            state = State.STOPPING;
            try {
                dropConnection();
            } catch (RuntimeException e) {
                LOG.debugf("%s: dropping the connection: %s", name, e);
            }
            safeStop();
            aborting = false;
            state = State.STOPPED;
        }
    }

    /** True while {@link #abort()} runs: {@link #doStop()} must not wait for anything NATS would have to answer. */
    protected final boolean aborting() {
        return aborting;
    }

    /** Closes the component's NATS connection at once; {@link #abort()} calls it before {@link #doStop()}. */
    protected void dropConnection() {
    }

    @Override
    public final void stop() {
        synchronized (lifecycleLock) {
            if (state == State.STOPPED) {
                return;
            }
            state = State.STOPPING;
            safeStop();
            state = State.STOPPED;
        }
    }

    /**
     * The component has done its first unit of work since it started: a producer's first
     * acknowledged publish, a worker's first stored receipt batch (or an assignment that gave it
     * nothing), the verifier's first report. Until then its process is still starting, and its
     * resources are not a baseline (a busy node can take a minute to get there).
     */
    protected final void workDone() {
        workedSinceStart = true;
    }

    /** Running, and has done its first unit of work since it started ({@link #workDone()}), or has settled with none to do. */
    public final boolean working() {
        return state == State.RUNNING && (workedSinceStart || settledIdle());
    }

    /**
     * Running with nothing to do, and that is final for now (a worker whose settled assignment
     * gave it no partition): ready, although it will do no unit of work. Default: never.
     */
    protected boolean settledIdle() {
        return false;
    }

    /** Marks a background failure; the component keeps its resources until stopped. */
    protected final void fail(String what, Throwable cause) {
        LOG.errorf(cause, "%s: %s", name, what);
        state = State.FAILED;
    }

    /** True once stop has begun (loops check it to exit). */
    protected final boolean stopping() {
        State s = state;
        return s == State.STOPPING || s == State.STOPPED;
    }

    private void safeStop() {
        try {
            doStop();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s: stop failed to release everything", name);
        }
    }

    protected abstract void doStart() throws Exception;

    /** Closes everything {@link #doStart()} opened; must tolerate a partial start. */
    protected abstract void doStop();
}

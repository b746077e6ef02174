package io.natsoak.lifecycle;

/**
 * The lifecycle every natsoak component follows.
 * <ul>
 *   <li>{@link #start()} is guarded: calling it on a running component does nothing (and says so
 *       by returning false). It returns once the component is running; its loops run on threads it
 *       owns, named {@code <component>-<purpose>}.</li>
 *   <li>A start that fails half-way releases what it had opened and leaves the component stopped,
 *       so it can be started again.</li>
 *   <li>{@link #stop()} is idempotent, safe after a failed start, and blocks until every thread,
 *       subscription and connection the start opened is released.</li>
 *   <li>A component can be started again after stop.</li>
 *   <li>Background failures become state ({@link #state()}) and a log line, never an unseen exception.</li>
 * </ul>
 */
public interface Component extends AutoCloseable {

    enum State { STOPPED, STARTING, RUNNING, STOPPING, FAILED }

    /** The component's name; also the prefix of its threads. */
    String name();

    /** @return true if this call started the component, false if it was already running */
    boolean start() throws Exception;

    void stop();

    State state();

    @Override
    default void close() {
        stop();
    }
}

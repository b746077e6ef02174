package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;

/** Closing dispatchers on a stop path that must run to its end. */
public final class Dispatchers {

    private Dispatchers() {
    }

    /**
     * Closes {@code dispatcher} unless its connection is already closed (an abort or a
     * {@code disconnect} closed it first, and with it every dispatcher): jnats throws
     * "Connection is Closed" there, and a stop that throws half-way leaves the rest open.
     */
    public static void close(Connection connection, Dispatcher dispatcher) {
        if (connection == null || dispatcher == null || connection.getStatus() == Connection.Status.CLOSED) {
            return;
        }
        try {
            connection.closeDispatcher(dispatcher);
        } catch (IllegalStateException e) {
            // closed concurrently: nothing left to close
        }
    }
}

package io.natsoak.worker;

import io.nats.client.Message;

import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * A delivered data message whose simulated processing ends at {@code readyAtNanos}. Ordered by
 * ready time, then arrival, and ready times never decrease within a partition, so a partition's
 * messages leave the queue in delivery order.
 */
record PendingMessage(Message message, PartitionState state, long sequence, long streamSequence, int deliveryCount,
                      long intendedAtMicros, long readyAtNanos, long arrival) implements Delayed {

    int partition() {
        return state.partition;
    }

    @Override
    public long getDelay(TimeUnit unit) {
        return unit.convert(readyAtNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
        PendingMessage o = (PendingMessage) other;
        int c = Long.compare(readyAtNanos, o.readyAtNanos);
        return c != 0 ? c : Long.compare(arrival, o.arrival);
    }
}

package io.natsoak.worker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The dispatcher's back-pressure: it waits on a condition that only a take, a close or an interrupt ends. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PendingQueueTest {

    /** So long that only a signal can end a wait within the test's time. */
    private static final Duration NO_RECHECK = Duration.ofHours(1);

    private final PartitionState state = new PartitionState(7, 0, 0, 1);

    private PendingMessage ready(long arrival) {
        return new PendingMessage(null, state, arrival + 1, arrival + 1, 1, 0, System.nanoTime(), arrival);
    }

    private Thread waitingForRoom(PendingQueue queue) {
        Thread t = new Thread(queue::awaitRoom, "test-dispatcher");
        t.setDaemon(true);
        t.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> t.getState() == Thread.State.TIMED_WAITING);
        return t;
    }

    @Test
    void aQueueWithRoomDoesNotWait() {
        PendingQueue queue = new PendingQueue(2, NO_RECHECK);
        queue.add(ready(0));
        Thread t = new Thread(queue::awaitRoom, "test-dispatcher");
        t.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !t.isAlive());
    }

    @Test
    void aFullQueueHoldsTheDispatcherUntilTheFlusherTakesOne() throws Exception {
        PendingQueue queue = new PendingQueue(2, NO_RECHECK);
        queue.add(ready(0));
        queue.add(ready(1));
        Thread dispatcher = waitingForRoom(queue);
        assertThat(dispatcher.isAlive()).as("held while full").isTrue();

        assertThat(queue.poll(TimeUnit.SECONDS.toNanos(5))).isNotNull();

        await().atMost(Duration.ofSeconds(10)).until(() -> !dispatcher.isAlive());
        assertThat(queue.size()).isEqualTo(1);
    }

    @Test
    void closingReleasesAWaitingDispatcher() {
        PendingQueue queue = new PendingQueue(1, NO_RECHECK);
        queue.add(ready(0));
        Thread dispatcher = waitingForRoom(queue);

        queue.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> !dispatcher.isAlive());
        assertThat(queue.closed()).isTrue();
        assertThat(queue.size()).as("a close drops nothing: the flusher drains it").isEqualTo(1);
    }

    @Test
    void anInterruptReleasesAWaitingDispatcherAndKeepsItsFlag() {
        PendingQueue queue = new PendingQueue(1, NO_RECHECK);
        queue.add(ready(0));
        boolean[] interrupted = new boolean[1];
        Thread dispatcher = new Thread(() -> {
            queue.awaitRoom();
            interrupted[0] = Thread.currentThread().isInterrupted();
        }, "test-dispatcher");
        dispatcher.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.getState() == Thread.State.TIMED_WAITING);

        dispatcher.interrupt();

        await().atMost(Duration.ofSeconds(10)).until(() -> !dispatcher.isAlive());
        assertThat(interrupted[0]).isTrue();
    }

    @Test
    void aMessageLeavesOnlyOnceItsProcessingTimeIsOver() throws Exception {
        PendingQueue queue = new PendingQueue(10, NO_RECHECK);
        queue.add(new PendingMessage(null, state, 1, 1, 1, 0, System.nanoTime() + TimeUnit.HOURS.toNanos(1), 0));
        assertThat(queue.poll(TimeUnit.MILLISECONDS.toNanos(20))).isNull();
        assertThat(queue.isEmpty()).isFalse();
    }

    @Test
    void aResetQueueIsOpenAndEmpty() {
        PendingQueue queue = new PendingQueue(10, NO_RECHECK);
        queue.add(ready(0));
        queue.close();
        queue.reset();
        assertThat(queue.closed()).isFalse();
        assertThat(queue.isEmpty()).isTrue();
    }
}

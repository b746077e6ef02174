package io.natsoak.worker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A release's drain: it waits until everything taken is settled, woken by the settling itself. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartitionStateTest {

    private static final Duration NO_RECHECK = Duration.ofHours(1);
    private static final Duration LONG = Duration.ofHours(1);

    private final PartitionState state = new PartitionState(3, 10, 0, 1);

    @Test
    void nothingTakenIsSettledAtOnce() throws Exception {
        assertThat(state.awaitSettled(LONG, NO_RECHECK, () -> false)).isTrue();
    }

    @Test
    void aReleaseWaitsUntilTheLastTakenMessageIsSettled() throws Exception {
        state.taken();
        state.taken();
        Thread[] waiter = new Thread[1];
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
            waiter[0] = Thread.currentThread();
            try {
                return state.awaitSettled(LONG, NO_RECHECK, () -> false);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> waiter[0] != null && waiter[0].getState() == Thread.State.TIMED_WAITING);

        state.settled(1);
        assertThat(state.allSettled()).isFalse();
        state.settled(1);

        assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aDrainThatTimesOutReportsNotClean() throws Exception {
        state.taken();
        assertThat(state.awaitSettled(Duration.ofMillis(50), NO_RECHECK, () -> false)).isFalse();
    }

    @Test
    void aDrainGivesUpWhenTold() throws Exception {
        state.taken();
        AtomicBoolean aborting = new AtomicBoolean(true);
        assertThat(state.awaitSettled(LONG, NO_RECHECK, aborting::get)).isFalse();
    }

    @Test
    void aStopInterruptsAWaitingDrain() throws Exception {
        state.taken();
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                state.awaitSettled(LONG, NO_RECHECK, () -> false);
                interrupted.complete(false);
            } catch (InterruptedException e) {
                interrupted.complete(true);
            }
        }, "test-handoff");
        waiter.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);

        waiter.interrupt();

        assertThat(interrupted.get(10, TimeUnit.SECONDS)).isTrue();
    }
}

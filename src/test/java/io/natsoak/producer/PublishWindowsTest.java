package io.natsoak.producer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PublishWindowsTest {

    @Test
    void sequencesAreAssignedInOrderUpToTheWindowAboveTheAcknowledgedPrefix() {
        PublishWindows w = new PublishWindows(2, 3);
        assertThat(w.assign(0)).isEqualTo(1);
        assertThat(w.assign(0)).isEqualTo(2);
        assertThat(w.assign(0)).isEqualTo(3);
        assertThat(w.canAssign(0)).isFalse();
        assertThatThrownBy(() -> w.assign(0)).isInstanceOf(IllegalStateException.class);
        assertThat(w.canAssign(1)).isTrue();
        assertThat(w.outstanding(0)).isEqualTo(3);
        assertThat(w.acknowledge(0, 1, 10)).isTrue();
        assertThat(w.canAssign(0)).isTrue();
        assertThat(w.assign(0)).isEqualTo(4);
    }

    @Test
    void thePrefixWaitsForTheOldestOutstandingSequenceWhateverTheOrderOfPubAcks() {
        PublishWindows w = new PublishWindows(1, 8);
        for (int i = 0; i < 5; i++) {
            w.assign(0);
        }
        assertThat(w.acknowledge(0, 3, 103)).isFalse();
        assertThat(w.acknowledge(0, 2, 102)).isFalse();
        assertThat(w.acknowledge(0, 5, 105)).isFalse();
        assertThat(w.acknowledged(0)).isZero();
        assertThat(w.outstanding(0)).isEqualTo(2);
        assertThat(w.acknowledge(0, 1, 104)).isTrue();
        assertThat(w.acknowledged(0)).isEqualTo(3);
        assertThat(w.outstanding(0)).isEqualTo(1);
        assertThat(w.acknowledge(0, 4, 106)).isTrue();
        assertThat(w.acknowledged(0)).isEqualTo(5);
        assertThat(w.outstanding(0)).isZero();
    }

    @Test
    void aSecondPubAckOfTheSameSequenceCountsOnce() {
        PublishWindows w = new PublishWindows(1, 4);
        w.assign(0);
        w.assign(0);
        w.acknowledge(0, 2, 7);
        assertThat(w.acknowledge(0, 2, 7)).isFalse();
        assertThat(w.acknowledge(0, 1, 6)).isTrue();
        assertThat(w.acknowledge(0, 1, 6)).isFalse();
        assertThat(w.acknowledged(0)).isEqualTo(2);
        assertThat(w.outstanding(0)).isZero();
    }

    @Test
    void theStreamFloorIsTheHighestPubAckSeenBeforeTheOldestOutstandingSequenceWasSent() {
        PublishWindows w = new PublishWindows(1, 4);
        w.assign(0); // 1, sent knowing nothing stored
        w.acknowledge(0, 1, 50);
        w.assign(0); // 2, sent after stream sequence 50 was acknowledged
        w.assign(0); // 3
        w.acknowledge(0, 3, 70);
        w.assign(0); // 4, sent after 70
        assertThat(w.streamFloor(0)).as("2 is outstanding and was sent when 50 was the highest PubAck").isEqualTo(50);
        w.acknowledge(0, 2, 71);
        assertThat(w.streamFloor(0)).as("4 is the oldest outstanding, sent after 70").isEqualTo(70);
        w.acknowledge(0, 4, 72);
        assertThat(w.streamFloor(0)).as("nothing outstanding: the highest PubAck").isEqualTo(72);
    }

    @Test
    void aResumedPartitionHoldsItsHolesAsOutstandingAndMovesOnWhenTheyAreStored() {
        PublishWindows w = new PublishWindows(1, 8);
        // prefix 10, stored 12 and 14 (bits 1 and 3), holes 11 and 13
        w.resume(0, 10, 14, 0b1010, 500);
        assertThat(w.acknowledged(0)).isEqualTo(10);
        assertThat(w.outstanding(0)).isEqualTo(2);
        assertThat(w.streamFloor(0)).isEqualTo(500);
        assertThat(w.acknowledge(0, 11, 600)).isTrue();
        assertThat(w.acknowledged(0)).isEqualTo(12);
        assertThat(w.acknowledge(0, 13, 601)).isTrue();
        assertThat(w.acknowledged(0)).isEqualTo(14);
        assertThat(w.assign(0)).isEqualTo(15);
    }

    @Test
    void theFullSixtyFourBitWindowWorks() {
        PublishWindows w = new PublishWindows(1, 64);
        for (int i = 0; i < 64; i++) {
            w.assign(0);
        }
        for (int s = 64; s >= 2; s--) {
            w.acknowledge(0, s, s);
        }
        assertThat(w.acknowledged(0)).isZero();
        assertThat(w.acknowledge(0, 1, 1)).isTrue();
        assertThat(w.acknowledged(0)).isEqualTo(64);
        assertThat(w.outstanding(0)).isZero();
    }

    @Test
    void sizesOutsideOneToSixtyFourAreRefused() {
        assertThatThrownBy(() -> new PublishWindows(1, 0)).hasMessageContaining("1..64");
        assertThatThrownBy(() -> new PublishWindows(1, 65)).hasMessageContaining("1..64");
    }
}

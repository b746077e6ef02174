package io.natsoak.producer;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Which of a crashed predecessor's last window a restarted producer sends again. */
class SequenceResumeTest {

    @Test
    void withNothingMissingItContinuesAfterTheLastStoredSequence() {
        SequenceResume.Plan plan = SequenceResume.plan(20, 12, 8, Set.of(13L, 14L, 15L, 16L, 17L, 18L, 19L)::contains);
        assertThat(plan.prefix()).isEqualTo(20);
        assertThat(plan.last()).isEqualTo(20);
        assertThat(plan.holes()).isEmpty();
    }

    @Test
    void sequencesMissingInTheLastWindowAboveTheMarkAreSentAgain() {
        SequenceResume.Plan plan = SequenceResume.plan(20, 12, 8, Set.of(13L, 14L, 16L, 18L, 19L)::contains);
        assertThat(plan.holes()).containsExactly(15, 17);
        assertThat(plan.prefix()).isEqualTo(14);
        assertThat(plan.last()).isEqualTo(20);
        // above the prefix: 15 missing, 16 stored, 17 missing, 18, 19, 20 stored
        assertThat(plan.storedAbove()).isEqualTo(0b111010);
    }

    @Test
    void aSequenceMissingAtOrBelowThePublishedMarkIsLossForTheVerifierNotAHoleToFill() {
        SequenceResume.Plan plan = SequenceResume.plan(20, 17, 8, Set.of(18L)::contains);
        assertThat(plan.holes()).containsExactly(19);
        SequenceResume.Plan none = SequenceResume.plan(20, 19, 8, s -> false);
        assertThat(none.holes()).isEmpty();
        assertThat(none.prefix()).isEqualTo(20);
    }

    @Test
    void nothingBelowOneWindowUnderTheLastStoredSequenceIsEverSentAgain() {
        // The window guarantees 20 was sent only once everything up to 12 was acknowledged.
        SequenceResume.Plan plan = SequenceResume.plan(20, 0, 8, s -> false);
        assertThat(plan.holes()).containsExactly(13, 14, 15, 16, 17, 18, 19);
        assertThat(plan.prefix()).isEqualTo(12);
    }

    @Test
    void aWindowOfOneNeverLeavesHoles() {
        SequenceResume.Plan plan = SequenceResume.plan(20, 3, 1, s -> false);
        assertThat(plan.holes()).isEmpty();
        assertThat(plan.prefix()).isEqualTo(20);
    }
}

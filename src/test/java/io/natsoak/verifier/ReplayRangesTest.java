package io.natsoak.verifier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplayRangesTest {

    private final ReplayRanges ranges = new ReplayRanges();

    @Test
    void contiguousReplaysMergeIntoOneRange() {
        for (long s = 10; s <= 20; s++) {
            ranges.add(s, 0);
        }
        ranges.add(30, 0);
        assertThat(ranges.size()).isEqualTo(2);
        assertThat(ranges.contains(10)).isTrue();
        assertThat(ranges.contains(20)).isTrue();
        assertThat(ranges.contains(21)).isFalse();
        assertThat(ranges.contains(9)).isFalse();
        assertThat(ranges.contains(30)).isTrue();
    }

    @Test
    void outOfOrderReplaysBridgeTheirNeighbours() {
        ranges.add(5, 0);
        ranges.add(7, 0);
        ranges.add(6, 0);
        assertThat(ranges.size()).isEqualTo(1);
        ranges.add(4, 0);
        assertThat(ranges.size()).isEqualTo(1);
        assertThat(ranges.contains(4)).isTrue();
        assertThat(ranges.contains(7)).isTrue();
        assertThat(ranges.contains(8)).isFalse();
    }

    @Test
    void rangesThatStoppedGrowingAreForgotten() {
        ranges.add(1, 100);
        ranges.add(50, 500);
        ranges.forgetOlderThan(200);
        assertThat(ranges.contains(1)).isFalse();
        assertThat(ranges.contains(50)).isTrue();
    }
}

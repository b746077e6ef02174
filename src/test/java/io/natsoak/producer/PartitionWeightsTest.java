package io.natsoak.producer;

import io.natsoak.config.ConfigLoader;
import io.natsoak.config.PartitionWeights;
import io.natsoak.config.PartitionsConfig;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PartitionWeightsTest {

    private static PartitionsConfig partitions(Map<String, String> settings) {
        return ConfigLoader.fromMap(settings).partitions();
    }

    @Test
    void uniformGivesEveryPartitionTheConfiguredRate() {
        PartitionWeights w = new PartitionWeights(partitions(Map.of("natsoak.partitions.count", "20", "natsoak.partitions.rate", "3")));
        IntStream.range(0, 20).forEach(p -> assertThat(w.rate(p)).isCloseTo(3.0, within(1e-9)));
    }

    @Test
    void exponentialGivesHotPartitionsProportionallyMoreOfTheSameTotal() {
        PartitionWeights w = new PartitionWeights(partitions(Map.of("natsoak.partitions.count", "1500", "natsoak.partitions.rate", "1",
                "natsoak.partitions.distribution", "exponential", "natsoak.partitions.extreme-percent", "5",
                "natsoak.partitions.extreme-weight", "20", "natsoak.partitions.normal-weight", "1")));
        double total = IntStream.range(0, 1500).mapToDouble(w::rate).sum();
        assertThat(total).isCloseTo(1500.0, within(1e-6));
        long hot = IntStream.range(0, 1500).filter(p -> w.weight(p) == 20).count();
        assertThat(hot).isEqualTo(75);
        double hotRate = IntStream.range(0, 1500).filter(p -> w.weight(p) == 20).mapToDouble(w::rate).findFirst().orElseThrow();
        double coldRate = IntStream.range(0, 1500).filter(p -> w.weight(p) == 1).mapToDouble(w::rate).findFirst().orElseThrow();
        assertThat(hotRate / coldRate).isCloseTo(20.0, within(1e-9));
    }

    @Test
    void hotPartitionsAreTheSameEverywhereAndSpreadOverProducers() {
        Map<String, String> s = Map.of("natsoak.partitions.count", "100", "natsoak.partitions.distribution", "exponential",
                "natsoak.partitions.extreme-percent", "10");
        PartitionWeights a = new PartitionWeights(partitions(s));
        PartitionWeights b = new PartitionWeights(partitions(s));
        int[] hotA = IntStream.range(0, 100).filter(p -> a.weight(p) > 1).toArray();
        int[] hotB = IntStream.range(0, 100).filter(p -> b.weight(p) > 1).toArray();
        assertThat(hotA).isEqualTo(hotB).hasSize(10);
        assertThat(Arrays.stream(hotA).map(p -> p % 2).distinct().count()).as("hot partitions on both of 2 producers").isEqualTo(2);
    }

    @Test
    void scheduleMatchesRatesExactlyOverAWindow() {
        SendSchedule schedule = new SendSchedule(new int[] {4, 7, 9}, new double[] {1, 2, 7});
        int[] counts = new int[10];
        for (int i = 0; i < 1000; i++) {
            counts[schedule.next()]++;
        }
        assertThat(counts[4]).isEqualTo(100);
        assertThat(counts[7]).isEqualTo(200);
        assertThat(counts[9]).isEqualTo(700);
        assertThat(schedule.total()).isEqualTo(10.0);
    }
}

package io.natsoak.assign;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Properties of the assignment strategies: coverage, determinism, balance, minimal movement, hot spreading. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StrategiesTest {

    private static final int PARTITIONS = 1500;

    private static List<PartitionAssigner> all() {
        return List.of(new StaticStrategy(), new RoundRobinStrategy(), new ConsistentHashStrategy(200),
                new WeightedConsistentHashStrategy(200, 1.3));
    }

    private static List<String> members(int n) {
        return IntStream.range(0, n).mapToObj(MemberIds::of).toList();
    }

    private static double[] uniform(int partitions) {
        double[] w = new double[partitions];
        Arrays.fill(w, 1.0);
        return w;
    }

    /** The producer's exponential distribution: 5 % of the partitions (spread by a hash) weigh 20, the rest 1. */
    static double[] hot(int partitions, double percent, double weight) {
        double[] w = uniform(partitions);
        int hot = (int) Math.round(partitions * percent / 100.0);
        Random r = new Random(42);
        List<Integer> order = new ArrayList<>(IntStream.range(0, partitions).boxed().toList());
        Collections.shuffle(order, r);
        for (int i = 0; i < hot; i++) {
            w[order.get(i)] = weight;
        }
        return w;
    }

    private static int[] owners(Map<String, SortedSet<Integer>> a, int partitions) {
        int[] o = new int[partitions];
        Arrays.fill(o, -1);
        for (Map.Entry<String, SortedSet<Integer>> e : a.entrySet()) {
            for (int p : e.getValue()) {
                assertThat(o[p]).as("partition %d assigned twice", p).isEqualTo(-1);
                o[p] = MemberIds.number(e.getKey());
            }
        }
        return o;
    }

    private static double[] loads(Map<String, SortedSet<Integer>> a, double[] w) {
        return a.values().stream().mapToDouble(s -> s.stream().mapToDouble(p -> w[p]).sum()).toArray();
    }

    @Test
    void everyPartitionHasExactlyOneMemberAndEveryMemberIsListed() {
        for (PartitionAssigner s : all()) {
            for (int n : new int[] {1, 2, 3, 7, 16}) {
                for (int partitions : new int[] {1, 5, 64, PARTITIONS}) {
                    Map<String, SortedSet<Integer>> a = s.assign(members(n), hot(partitions, 5, 20));
                    assertThat(a).as("%s n=%d", s.name(), n).hasSize(n).containsOnlyKeys(members(n));
                    int[] o = owners(a, partitions);
                    assertThat(o).as("%s n=%d p=%d", s.name(), n, partitions).doesNotContain(-1);
                }
            }
        }
    }

    @Test
    void noMembersMeansNoAssignment() {
        for (PartitionAssigner s : all()) {
            assertThat(s.assign(List.of(), uniform(10))).as(s.name()).isEmpty();
        }
    }

    @Test
    void sameMemberSetGivesTheSameAnswerInAnyOrder() {
        List<String> ids = new ArrayList<>(members(9));
        double[] w = hot(PARTITIONS, 5, 20);
        for (PartitionAssigner s : all()) {
            Map<String, SortedSet<Integer>> reference = s.assign(ids, w);
            for (int seed = 0; seed < 5; seed++) {
                List<String> shuffled = new ArrayList<>(ids);
                Collections.shuffle(shuffled, new Random(seed));
                shuffled.add(shuffled.get(0)); // duplicates are ignored
                assertThat(s.assign(shuffled, w)).as(s.name()).isEqualTo(reference);
            }
        }
        // A fresh instance (another process) computes the same thing.
        for (io.natsoak.config.AssignmentStrategy kind : io.natsoak.config.AssignmentStrategy.values()) {
            PartitionAssigner one = Strategies.of(kind, 200, 1.3);
            PartitionAssigner again = Strategies.of(kind, 200, 1.3);
            assertThat(again.assign(ids, w)).as(kind.name()).isEqualTo(one.assign(ids, w));
        }
    }

    @Test
    void staticIsPartitionModuloMemberCountInNumericOrder() {
        Map<String, SortedSet<Integer>> a = new StaticStrategy().assign(List.of("worker-10", "worker-2", "worker-0"), uniform(7));
        assertThat(a.get("worker-0")).containsExactly(0, 3, 6);
        assertThat(a.get("worker-2")).containsExactly(1, 4);
        assertThat(a.get("worker-10")).containsExactly(2, 5);
    }

    @Test
    void roundRobinDealsHotPartitionsFirstAndBalancesCounts() {
        double[] w = hot(PARTITIONS, 5, 20);
        Map<String, SortedSet<Integer>> a = new RoundRobinStrategy().assign(members(7), w);
        int[] counts = a.values().stream().mapToInt(SortedSet::size).toArray();
        assertThat(Arrays.stream(counts).max().getAsInt() - Arrays.stream(counts).min().getAsInt()).isLessThanOrEqualTo(1);
        long hotTotal = Arrays.stream(w).filter(x -> x > 1).count();
        for (SortedSet<Integer> set : a.values()) {
            long hotHere = set.stream().filter(p -> w[p] > 1).count();
            assertThat(hotHere).isBetween(hotTotal / 7, (hotTotal + 6) / 7);
        }
    }

    @Test
    void consistentHashIsBalancedWithVirtualNodes() {
        StringBuilder report = new StringBuilder();
        for (int n : new int[] {3, 5, 10, 20}) {
            double[] w = uniform(PARTITIONS);
            double[] l = loads(new ConsistentHashStrategy(200).assign(members(n), w), w);
            double avg = (double) PARTITIONS / n;
            double max = Arrays.stream(l).max().getAsDouble() / avg;
            report.append(String.format(Locale.ROOT, " n=%d max/avg=%.2f", n, max));
            assertThat(max).as("n=%d", n).isLessThan(1.35);
        }
        System.out.println("consistent hash (200 vnodes, 1500 partitions) balance:" + report);
    }

    @Test
    void weightedConsistentHashKeepsEveryMemberWithinTheLoadBound() {
        for (int n : new int[] {2, 3, 5, 8, 13, 20}) {
            for (double[] w : List.of(uniform(PARTITIONS), hot(PARTITIONS, 5, 20), hot(PARTITIONS, 1, 50), hot(64, 10, 5))) {
                double total = Arrays.stream(w).sum();
                double avg = total / n;
                double max = Arrays.stream(w).max().getAsDouble();
                double[] l = loads(new WeightedConsistentHashStrategy(200, 1.3).assign(members(n), w), w);
                if (max <= 0.3 * avg) {
                    assertThat(Arrays.stream(l).max().getAsDouble()).as("n=%d", n).isLessThanOrEqualTo(1.3 * avg + 1e-6);
                } else {
                    // Infeasible bound: at most one partition above the average.
                    assertThat(Arrays.stream(l).max().getAsDouble()).as("n=%d", n).isLessThanOrEqualTo(Math.max(1.3 * avg, avg + max) + 1e-6);
                }
            }
        }
    }

    @Test
    void weightedConsistentHashSpreadsHotPartitionsEvenly() {
        double[] w = hot(PARTITIONS, 5, 20);
        int hotTotal = (int) Arrays.stream(w).filter(x -> x > 1).count();
        StringBuilder report = new StringBuilder();
        for (int n : new int[] {3, 5, 7, 10}) {
            Map<String, SortedSet<Integer>> weighted = new WeightedConsistentHashStrategy(200, 1.3).assign(members(n), w);
            Map<String, SortedSet<Integer>> plain = new ConsistentHashStrategy(200).assign(members(n), w);
            int cap = (hotTotal + n - 1) / n;
            int weightedMax = weighted.values().stream().mapToInt(s -> (int) s.stream().filter(p -> w[p] > 1).count()).max().getAsInt();
            int plainMax = plain.values().stream().mapToInt(s -> (int) s.stream().filter(p -> w[p] > 1).count()).max().getAsInt();
            double avg = Arrays.stream(w).sum() / n;
            double weightedLoad = Arrays.stream(loads(weighted, w)).max().getAsDouble() / avg;
            double plainLoad = Arrays.stream(loads(plain, w)).max().getAsDouble() / avg;
            report.append(String.format(Locale.ROOT, "%n  n=%d hot/member max %d (plain CH %d, ideal %d); max load/avg %.2f (plain CH %.2f)",
                    n, weightedMax, plainMax, cap, weightedLoad, plainLoad));
            assertThat(weightedMax).as("n=%d", n).isLessThanOrEqualTo(cap);
            assertThat(weightedLoad).isLessThanOrEqualTo(1.3 + 1e-9);
        }
        System.out.println("hot partition spreading (1500 partitions, " + hotTotal + " hot of weight 20):" + report);
    }

    @Test
    void addingAMemberToConsistentHashMovesAboutOneInNPlusOneAndOnlyToTheNewcomer() {
        double[] w = uniform(PARTITIONS);
        StringBuilder report = new StringBuilder();
        double sumRatio = 0;
        int cases = 0;
        for (int n = 1; n <= 12; n++) {
            int[] before = owners(new ConsistentHashStrategy(200).assign(members(n), w), PARTITIONS);
            int[] after = owners(new ConsistentHashStrategy(200).assign(members(n + 1), w), PARTITIONS);
            int moved = 0;
            for (int p = 0; p < PARTITIONS; p++) {
                if (before[p] != after[p]) {
                    moved++;
                    assertThat(after[p]).as("a moved partition goes to the newcomer").isEqualTo(n);
                }
            }
            double fraction = (double) moved / PARTITIONS;
            double ideal = 1.0 / (n + 1);
            sumRatio += fraction / ideal;
            cases++;
            report.append(String.format(Locale.ROOT, " %d->%d: %.1f%% (ideal %.1f%%);", n, n + 1, 100 * fraction, 100 * ideal));
            assertThat(fraction).as("n=%d", n).isBetween(0.7 * ideal, 1.3 * ideal);
        }
        System.out.println("consistent hash movement on join:" + report + String.format(Locale.ROOT, " mean ratio to ideal %.2f", sumRatio / cases));
    }

    @Test
    void removingAMemberFromConsistentHashMovesOnlyItsPartitions() {
        double[] w = uniform(PARTITIONS);
        List<String> seven = members(7);
        int[] before = owners(new ConsistentHashStrategy(200).assign(seven, w), PARTITIONS);
        List<String> six = new ArrayList<>(seven);
        six.remove("worker-3");
        int[] after = owners(new ConsistentHashStrategy(200).assign(six, w), PARTITIONS);
        for (int p = 0; p < PARTITIONS; p++) {
            if (before[p] != 3) {
                assertThat(after[p]).isEqualTo(before[p]);
            }
        }
    }

    @Test
    void weightedConsistentHashMovementOnJoinStaysModest() {
        StringBuilder report = new StringBuilder();
        Map<String, double[]> cases = new HashMap<>();
        cases.put("uniform", uniform(PARTITIONS));
        cases.put("5% hot x20", hot(PARTITIONS, 5, 20));
        for (Map.Entry<String, double[]> c : cases.entrySet()) {
            double[] w = c.getValue();
            report.append(String.format(Locale.ROOT, "%n  %s:", c.getKey()));
            for (int n = 2; n <= 10; n += 2) {
                int[] before = owners(new WeightedConsistentHashStrategy(200, 1.3).assign(members(n), w), PARTITIONS);
                int[] after = owners(new WeightedConsistentHashStrategy(200, 1.3).assign(members(n + 1), w), PARTITIONS);
                int moved = 0;
                for (int p = 0; p < PARTITIONS; p++) {
                    if (before[p] != after[p]) {
                        moved++;
                    }
                }
                double fraction = (double) moved / PARTITIONS;
                double ideal = 1.0 / (n + 1);
                report.append(String.format(Locale.ROOT, " %d->%d: %.1f%% (ideal %.1f%%);", n, n + 1, 100 * fraction, 100 * ideal));
                assertThat(fraction).as("%s n=%d", c.getKey(), n).isLessThan(3 * ideal);
            }
        }
        // For comparison: static (p mod N) moves almost everything.
        int[] before = owners(new StaticStrategy().assign(members(5), uniform(PARTITIONS)), PARTITIONS);
        int[] after = owners(new StaticStrategy().assign(members(6), uniform(PARTITIONS)), PARTITIONS);
        long moved = IntStream.range(0, PARTITIONS).filter(p -> before[p] != after[p]).count();
        report.append(String.format(Locale.ROOT, "%n  static 5->6: %.1f%%", 100.0 * moved / PARTITIONS));
        System.out.println("weighted consistent hash movement on join:" + report);
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> new ConsistentHashStrategy(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightedConsistentHashStrategy(10, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightedConsistentHashStrategy(10, 1.3).assign(members(2), new double[] {1, -1}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WeightedConsistentHashStrategy(10, 1.3).assign(members(2), new double[] {1, Double.NaN}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theConfiguredKindNamesTheStrategy() {
        assertThat(Strategies.of(io.natsoak.config.AssignmentStrategy.STATIC, 10, 1.3)).isInstanceOf(StaticStrategy.class);
        assertThat(Strategies.of(io.natsoak.config.AssignmentStrategy.ROUND_ROBIN, 10, 1.3)).isInstanceOf(RoundRobinStrategy.class);
        assertThat(Strategies.of(io.natsoak.config.AssignmentStrategy.CONSISTENT_HASH, 10, 1.3)).isInstanceOf(ConsistentHashStrategy.class);
        assertThat(Strategies.of(io.natsoak.config.AssignmentStrategy.WEIGHTED_CONSISTENT_HASH, 10, 1.3))
                .isInstanceOf(WeightedConsistentHashStrategy.class);
    }
}

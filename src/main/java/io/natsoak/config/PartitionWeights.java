package io.natsoak.config;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The weight and rate of every partition. With the exponential distribution a fixed, spread-out
 * set of partitions (chosen by a hash, so hot partitions land on every producer and worker) is
 * hot; the configured total rate (count x rate) is shared in proportion to the weights.
 */
public final class PartitionWeights {

    private final double[] weights;
    private final double[] rates;

    public PartitionWeights(PartitionsConfig config) {
        int n = config.count();
        weights = new double[n];
        Arrays.fill(weights, 1.0);
        if (config.distribution() == Distribution.EXPONENTIAL) {
            Arrays.fill(weights, config.normalWeight());
            int hot = (int) Math.round(n * config.extremePercent() / 100.0);
            IntStream.range(0, n).boxed()
                    .sorted(Comparator.comparingLong(PartitionWeights::mix))
                    .limit(hot)
                    .forEach(p -> weights[p] = config.extremeWeight());
        }
        double total = n * config.rate();
        double sum = Arrays.stream(weights).sum();
        rates = Arrays.stream(weights).map(w -> total * w / sum).toArray();
    }

    public int count() {
        return weights.length;
    }

    public double weight(int partition) {
        return weights[partition];
    }

    /** Messages per second this partition receives. */
    public double rate(int partition) {
        return rates[partition];
    }

    /** A fixed bit mix (SplitMix64 finaliser): the same hot set in every process and run. */
    private static long mix(int partition) {
        long z = partition + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

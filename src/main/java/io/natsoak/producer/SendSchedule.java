package io.natsoak.producer;

/**
 * Chooses which partition the next message goes to so that, over any window, each partition's
 * share matches its rate exactly (smooth weighted round-robin: deterministic, no randomness,
 * no bursts).
 */
public final class SendSchedule {

    private final int[] partitions;
    private final double[] weights;
    private final double[] current;
    private final double total;

    public SendSchedule(int[] partitions, double[] weights) {
        if (partitions.length == 0 || partitions.length != weights.length) {
            throw new IllegalArgumentException("one weight per partition, at least one partition");
        }
        this.partitions = partitions.clone();
        this.weights = weights.clone();
        this.current = new double[partitions.length];
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        this.total = sum;
    }

    /** The total weight, i.e. messages per second when the weights are rates. */
    public double total() {
        return total;
    }

    public int next() {
        int best = 0;
        for (int i = 0; i < current.length; i++) {
            current[i] += weights[i];
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        return partitions[best];
    }
}

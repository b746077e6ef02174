package io.natsoak.resources;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The baseline of one resource of one process incarnation: the median of the values seen during
 * the warm-up window, which opens with the first value offered. Callers offer values only once
 * the process is ready, so a process caught mid-start (21 threads of an eventual 34) is never
 * its own baseline. Used alike by every process for the baseline it exports to Prometheus and
 * by the verifier for its verdict, so both judge against the same number. Not thread-safe.
 */
public final class WarmUpBaseline {

    private static final int MAX_VALUES = 10_000;

    private final long warmUpMillis;
    private final List<Double> values = new ArrayList<>();
    private long openedAtMillis = -1;

    public WarmUpBaseline(long warmUpMillis) {
        this.warmUpMillis = warmUpMillis;
    }

    /** @return true if the value fell within the warm-up window (it is part of the baseline) */
    public boolean offer(long atMillis, double value) {
        if (Double.isNaN(value)) {
            return false;
        }
        if (openedAtMillis < 0) {
            openedAtMillis = atMillis;
        }
        if (atMillis <= openedAtMillis + warmUpMillis) {
            if (values.size() < MAX_VALUES) {
                values.add(value);
            }
            return true;
        }
        return false;
    }

    /** True once the warm-up window has closed at {@code nowMillis}. */
    public boolean over(long nowMillis) {
        return openedAtMillis >= 0 && nowMillis > openedAtMillis + warmUpMillis;
    }

    /** The median of the warm-up values so far; empty before the first one. */
    public OptionalDouble value() {
        return values.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(median(values.stream().mapToDouble(Double::doubleValue).toArray()));
    }

    /** When the window opened (epoch ms); -1 before the first value. */
    public long openedAtMillis() {
        return openedAtMillis;
    }

    /** The values of the window so far, for a checkpoint. */
    public List<Double> values() {
        return List.copyOf(values);
    }

    /** A baseline as a checkpoint saved it. */
    public static WarmUpBaseline restore(long warmUpMillis, long openedAtMillis, List<Double> values) {
        WarmUpBaseline b = new WarmUpBaseline(warmUpMillis);
        b.openedAtMillis = openedAtMillis;
        if (values != null) {
            values.stream().filter(v -> v != null && !v.isNaN()).limit(MAX_VALUES).forEach(b.values::add);
        }
        return b;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }
}

package io.natsoak.verifier;

import io.natsoak.model.Report;
import io.natsoak.model.ResourceSample;
import io.natsoak.model.ResourceSample.RestartStats;
import io.natsoak.resources.WarmUpBaseline;
import io.natsoak.verifier.ResourceGrowth.Limits;
import io.natsoak.verifier.ResourceGrowth.Resource;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One process incarnation (role, instance, process start time) as {@link ResourceGrowth} judges
 * it: per resource its warm-up baseline, its whole samples of the last two minutes after the warm-up
 * (whose floor is its "end") and its slope (partial samples, taken while a component was being
 * restarted or was disconnected, are in none of them), and the in-place restart counts it last reported. Bounded state.
 * Not thread-safe: {@link ResourceGrowth} guards it.
 */
final class Incarnation {
    private final String instance;
    private final long processStartMillis;
    private final long firstAtMillis;
    private long lastAtMillis;
    private long readyAtMillis;
    private final WarmUpBaseline[] baselines;
    /**
     * Per resource, the samples (time, value) of the last {@code natsoak.resources.end-window} after the
     * warm-up; "end" is their floor. A median of the last few samples (the first version) read a
     * fault's transient at the end of a short life as growth: in the first hour-long chaos soak
     * after the readiness fix, a worker killed minutes into its life, mid-reconnect, went 40 -> 45.
     * A leak raises the floor; a transient does not.
     */
    @SuppressWarnings("unchecked")
    private final ArrayDeque<double[]>[] last = new ArrayDeque[] {new ArrayDeque<double[]>(), new ArrayDeque<double[]>(), new ArrayDeque<double[]>()};
    /** The window whose floor is "end". */
    private final long endWindowMillis;
    private static final int MAX_END_SAMPLES = 2_000;
    private final SlopeFit[] fits = {new SlopeFit(), new SlopeFit(), new SlopeFit()};
    private Map<String, RestartStats> restarts = Map.of();

    Incarnation(String instance, long processStartMillis, long firstAtMillis, long warmUpMillis, long endWindowMillis) {
        this.instance = instance;
        this.endWindowMillis = endWindowMillis;
        this.processStartMillis = processStartMillis;
        this.firstAtMillis = firstAtMillis;
        this.lastAtMillis = firstAtMillis;
        this.baselines = new WarmUpBaseline[] {new WarmUpBaseline(warmUpMillis), new WarmUpBaseline(warmUpMillis),
                new WarmUpBaseline(warmUpMillis)};
    }

    String instance() {
        return instance;
    }

    /** False while the process never said it was ready: such an incarnation is listed, never judged. */
    boolean everReady() {
        return readyAtMillis != 0;
    }

    /** Per component, the in-place restart counts the process last reported. */
    Map<String, RestartStats> restarts() {
        return restarts;
    }

    void add(ResourceSample s) {
        if (s.atMillis() < firstAtMillis) {
            return;
        }
        lastAtMillis = Math.max(lastAtMillis, s.atMillis());
        if (s.restarts() != null && !s.restarts().isEmpty()) {
            restarts = s.restarts();
        }
        if (s.readyAtMillis() > 0 && readyAtMillis == 0) {
            readyAtMillis = s.readyAtMillis();
        }
        // A process that is still starting (or a sample from before it was ready) is no baseline and no growth;
        // nor is one with a component mid-restart or disconnected: its "end" is the floor of its last whole samples.
        if (readyAtMillis == 0 || s.atMillis() < readyAtMillis || s.partial()) {
            return;
        }
        double[] values = {s.threads(), s.heapAfterGcBytes() > 0 ? s.heapAfterGcBytes() : Double.NaN,
                s.rssBytes() < 0 ? Double.NaN : s.rssBytes()};
        double hours = (s.atMillis() - readyAtMillis) / 3_600_000.0;
        for (int k = 0; k < values.length; k++) {
            double v = values[k];
            if (Double.isNaN(v)) {
                continue;
            }
            fits[k].add(hours, v);
            if (!baselines[k].offer(s.atMillis(), v)) {
                addLast(k, s.atMillis(), v);
            }
        }
    }

    private void addLast(int k, double atMillis, double v) {
        ArrayDeque<double[]> window = last[k];
        window.addLast(new double[] {atMillis, v});
        double newest = window.peekLast()[0];
        while (window.size() > MAX_END_SAMPLES || newest - window.peekFirst()[0] > endWindowMillis) {
            window.removeFirst();
        }
    }

    Report.Growth growth(Resource r, long nowMillis, Limits limits) {
        int k = r.ordinal();
        WarmUpBaseline b = baselines[k];
        if (b.value().isEmpty()) {
            return null;
        }
        double limit = limits.scaled(r, nowMillis - readyAtMillis);
        double baseline = b.value().getAsDouble();
        boolean judged = !last[k].isEmpty() && b.over(nowMillis);
        List<Double> warm = b.values();
        double end = last[k].isEmpty() ? warm.get(warm.size() - 1) : last[k].stream().mapToDouble(p -> p[1]).min().orElseThrow();
        Double percent = baseline > 0 ? (end - baseline) / baseline * 100.0 : null;
        boolean crossed = judged && percent != null && percent > limit && end - baseline > limits.floor(r);
        return new Report.Growth(instance, baseline, end, percent, fits[k].slope(), limit, judged, crossed);
    }

    String describe() {
        return instance + " (started " + Instant.ofEpochMilli(processStartMillis) + ", never ready in "
                + Math.max(0, (lastAtMillis - processStartMillis) / 1000) + " s)";
    }

    IncarnationState state(String role) {
        List<ResourceState> rs = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            SlopeFit f = fits[k];
            rs.add(new ResourceState(baselines[k].openedAtMillis(), baselines[k].values(), last[k].stream().map(p -> p[1]).toList(),
                    last[k].stream().map(p -> (long) p[0]).toList(), f.n, f.meanT, f.meanY, f.cTY, f.m2T));
        }
        return new IncarnationState(role, instance, processStartMillis, firstAtMillis, lastAtMillis, readyAtMillis, rs, restarts);
    }

    static Incarnation restore(IncarnationState st, long warmUpMillis, long endWindowMillis) {
        Incarnation inc = new Incarnation(st.instance(), st.processStartMillis(), st.firstAtMillis(), warmUpMillis, endWindowMillis);
        inc.lastAtMillis = st.lastAtMillis();
        inc.readyAtMillis = st.readyAtMillis();
        inc.restarts = st.restarts() == null ? Map.of() : Map.copyOf(st.restarts());
        for (int k = 0; k < 3; k++) {
            ResourceState r = st.resources().get(k);
            if (r.openedAtMillis() >= 0) {
                inc.baselines[k] = WarmUpBaseline.restore(warmUpMillis, r.openedAtMillis(), r.warmUp());
            }
            if (r.last() != null && r.lastAt() != null && r.last().size() == r.lastAt().size()) {
                for (int i = 0; i < r.last().size(); i++) {
                    Double v = r.last().get(i);
                    if (v != null && !v.isNaN() && r.lastAt().get(i) != null) {
                        inc.addLast(k, r.lastAt().get(i), v);
                    }
                }
            }
            inc.fits[k] = SlopeFit.restore(r.n(), r.meanT(), r.meanY(), r.cTY(), r.m2T());
        }
        return inc;
    }
}

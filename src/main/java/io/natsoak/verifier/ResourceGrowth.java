package io.natsoak.verifier;

import io.natsoak.config.NatsoakConfig;
import io.natsoak.model.Report;
import io.natsoak.model.ResourceSample;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Judges the growth of every process' threads, heap after GC and RSS from the samples the role
 * processes publish. Per process incarnation (role, instance, process start time) and resource:
 * the baseline is the median of the samples in the warm-up window after its first known value
 * (heap after GC is unknown until the first old-generation collection), "end" the median of
 * its last {@value ResourceSample#END_SAMPLES} samples after the warm-up, and the slope a least-squares fit over
 * all its samples. A restarted process (new start time) starts a new baseline, so a restart
 * sawtooth is never growth. Per role the worst incarnation is reported; a growth above the
 * configured percentage is a FAIL reason. Memory per incarnation is bounded (the warm-up samples,
 * the last few, and running sums). Pure: no I/O, time from the injected clock.
 */
public final class ResourceGrowth {

    /** Incarnations kept per instance (a process restarted more often keeps its latest ones). */
    static final int MAX_INCARNATIONS = 64;
    private static final int MAX_WARM_UP_SAMPLES = 10_000;

    /** What a resource is called in reasons, and how its values are written. */
    public enum Resource {
        THREADS("threads"), HEAP_AFTER_GC("heap after GC"), RSS("RSS");

        private final String label;

        Resource(String label) {
            this.label = label;
        }

        String format(double value) {
            return this == THREADS ? String.valueOf(Math.round(value)) : String.format(Locale.ROOT, "%.1f MiB", value / (1024.0 * 1024.0));
        }
    }

    /**
     * The thresholds. A percentage is allowed per {@link #PER} of the incarnation's life, and never
     * less than once (a 12-hour soak may grow twice as much as a 6-hour one; a short one as much as
     * a 6-hour one). Growth below the absolute floor is never a leak: in a run of minutes a
     * verifier's 10 MiB heap gains a MiB of ledger and histogram, a failover adds a thread or two
     * for a few seconds; a real leak over hours crosses any floor.
     */
    public record Limits(Duration warmUp, double threadsPercent, double heapPercent, double rssPercent,
                         double minThreads, double minHeapBytes, double minRssBytes) {

        public static final Duration PER = Duration.ofHours(6);

        public static Limits of(NatsoakConfig.Resources r) {
            return new Limits(r.warmUp(), r.maxThreadGrowthPercent(), r.maxHeapGrowthPercent(), r.maxRssGrowthPercent(),
                    r.minThreadGrowth(), r.minHeapGrowthMib() * MIB, r.minRssGrowthMib() * MIB);
        }

        double of(Resource r) {
            return switch (r) {
                case THREADS -> threadsPercent;
                case HEAP_AFTER_GC -> heapPercent;
                case RSS -> rssPercent;
            };
        }

        double floor(Resource r) {
            return switch (r) {
                case THREADS -> minThreads;
                case HEAP_AFTER_GC -> minHeapBytes;
                case RSS -> minRssBytes;
            };
        }

        /** The percentage allowed after {@code lifeMillis} of an incarnation's life. */
        double scaled(Resource r, long lifeMillis) {
            return of(r) * Math.max(1.0, (double) lifeMillis / PER.toMillis());
        }
    }

    private static final double MIB = 1024.0 * 1024.0;

    private final Limits limits;
    private final Clock clock;
    /** role -> instance -> process start -> incarnation */
    private final Map<String, Map<String, TreeMap<Long, Incarnation>>> processes = new TreeMap<>();

    public ResourceGrowth(Limits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
    }

    public synchronized void add(ResourceSample s) {
        if (s == null || s.role() == null || s.instance() == null) {
            return;
        }
        TreeMap<Long, Incarnation> byStart = processes.computeIfAbsent(s.role(), r -> new TreeMap<>())
                .computeIfAbsent(s.instance(), i -> new TreeMap<>());
        Incarnation inc = byStart.computeIfAbsent(s.processStartMillis(), start -> new Incarnation(s.instance(), s.atMillis()));
        while (byStart.size() > MAX_INCARNATIONS) {
            byStart.pollFirstEntry();
        }
        inc.add(s, limits.warmUp().toMillis());
    }

    /** Per role, each resource's worst incarnation (judged ones first, then the highest growth). */
    public synchronized Map<String, Report.RoleResources> byRole() {
        Map<String, Report.RoleResources> out = new TreeMap<>();
        processes.forEach((role, instances) -> {
            List<Incarnation> all = instances.values().stream().flatMap(m -> m.values().stream()).toList();
            out.put(role, new Report.RoleResources(worst(all, Resource.THREADS), worst(all, Resource.HEAP_AFTER_GC), worst(all, Resource.RSS)));
        });
        return out;
    }

    /** One FAIL reason per role and resource whose worst incarnation grew beyond its limit. */
    public synchronized List<String> reasons() {
        List<String> reasons = new ArrayList<>();
        byRole().forEach((role, rr) -> {
            for (Resource r : Resource.values()) {
                Report.Growth g = switch (r) {
                    case THREADS -> rr.threads();
                    case HEAP_AFTER_GC -> rr.heapAfterGcBytes();
                    case RSS -> rr.rssBytes();
                };
                if (g != null && g.crossed()) {
                    reasons.add(String.format(Locale.ROOT, "%s of %s grew %s%% (%s -> %s), limit %s%%", r.label, g.instance(),
                            number(g.growthPercent()), r.format(g.baseline()), r.format(g.end()), number(g.limitPercent())));
                }
            }
        });
        return reasons;
    }

    private Report.Growth worst(List<Incarnation> incarnations, Resource r) {
        long now = clock.millis();
        long warmUp = limits.warmUp().toMillis();
        return incarnations.stream().map(i -> i.growth(r, now, warmUp, limits)).filter(g -> g != null)
                .max(Comparator.comparing((Report.Growth g) -> g.judged())
                        .thenComparingDouble(g -> g.growthPercent() == null ? Double.NEGATIVE_INFINITY : g.growthPercent()))
                .orElse(null);
    }

    static String number(double value) {
        double rounded = Math.round(value * 10) / 10.0;
        return rounded == Math.rint(rounded) ? String.valueOf((long) rounded) : String.valueOf(rounded);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }

    /**
     * One process incarnation: bounded state. Each resource has its own warm-up window, starting
     * at its first known value: heap after GC is unknown (0) until the first collection of the
     * old generation, which a JVM with room to spare may run only minutes into its life, and a
     * baseline of "unknown" would leave a heap leak unjudged for the whole run.
     */
    private static final class Incarnation {
        final String instance;
        final long firstAtMillis;
        final long[] firstKnownAt = {-1, -1, -1};
        @SuppressWarnings("unchecked")
        final List<Double>[] warmUp = new List[] {new ArrayList<Double>(), new ArrayList<Double>(), new ArrayList<Double>()};
        @SuppressWarnings("unchecked")
        final ArrayDeque<Double>[] last = new ArrayDeque[] {new ArrayDeque<Double>(), new ArrayDeque<Double>(), new ArrayDeque<Double>()};
        final Fit[] fits = {new Fit(), new Fit(), new Fit()};

        Incarnation(String instance, long firstAtMillis) {
            this.instance = instance;
            this.firstAtMillis = firstAtMillis;
        }

        void add(ResourceSample s, long warmUpMillis) {
            if (s.atMillis() < firstAtMillis) {
                return;
            }
            double[] values = {s.threads(), s.heapAfterGcBytes() > 0 ? s.heapAfterGcBytes() : Double.NaN,
                    s.rssBytes() < 0 ? Double.NaN : s.rssBytes()};
            double hours = (s.atMillis() - firstAtMillis) / 3_600_000.0;
            for (int k = 0; k < values.length; k++) {
                double v = values[k];
                if (Double.isNaN(v)) {
                    continue;
                }
                fits[k].add(hours, v);
                if (firstKnownAt[k] < 0) {
                    firstKnownAt[k] = s.atMillis();
                }
                if (s.atMillis() <= firstKnownAt[k] + warmUpMillis) {
                    if (warmUp[k].size() < MAX_WARM_UP_SAMPLES) {
                        warmUp[k].add(v);
                    }
                } else {
                    last[k].addLast(v);
                    if (last[k].size() > ResourceSample.END_SAMPLES) {
                        last[k].removeFirst();
                    }
                }
            }
        }

        Report.Growth growth(Resource r, long nowMillis, long warmUpMillis, Limits limits) {
            double limit = limits.scaled(r, nowMillis - firstAtMillis);
            int k = r.ordinal();
            if (warmUp[k].isEmpty()) {
                return null;
            }
            double baseline = median(warmUp[k].stream().mapToDouble(Double::doubleValue).toArray());
            boolean judged = !last[k].isEmpty() && nowMillis >= firstKnownAt[k] + warmUpMillis;
            double end = last[k].isEmpty() ? warmUp[k].get(warmUp[k].size() - 1) : median(last[k].stream().mapToDouble(Double::doubleValue).toArray());
            Double percent = baseline > 0 ? (end - baseline) / baseline * 100.0 : null;
            boolean crossed = judged && percent != null && percent > limit && end - baseline > limits.floor(r);
            return new Report.Growth(instance, baseline, end, percent, fits[k].slope(), limit, judged, crossed);
        }
    }

    /** Least-squares slope of value over hours, updated online (Welford: no cancellation, a flat series has slope 0 exactly). */
    private static final class Fit {
        long n;
        double meanT;
        double meanY;
        double cTY;
        double m2T;

        void add(double t, double y) {
            if (Double.isNaN(y)) {
                return;
            }
            n++;
            double dt = t - meanT;
            meanT += dt / n;
            meanY += (y - meanY) / n;
            cTY += dt * (y - meanY);
            m2T += dt * (t - meanT);
        }

        double slope() {
            return n < 2 || m2T <= 0 ? 0 : cTY / m2T;
        }
    }
}

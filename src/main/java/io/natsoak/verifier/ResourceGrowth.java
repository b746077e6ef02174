package io.natsoak.verifier;

import io.natsoak.config.ResourcesConfig;
import io.natsoak.model.Report;
import io.natsoak.model.ResourceSample;
import io.natsoak.model.ResourceSample.RestartStats;
import io.natsoak.resources.WarmUpBaseline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Judges the growth of every process' threads, heap after GC and RSS from the samples the role
 * processes publish. Per process incarnation (role, instance, process start time) and resource:
 * the baseline is the median of the samples in the warm-up window that opens at its first known
 * value once the process is ready ({@link WarmUpBaseline}: every component running and the first
 * unit of work done, as the process itself says; heap after GC is unknown until the first
 * old-generation collection), "end" the median of its last {@value ResourceSample#END_SAMPLES} samples after the
 * warm-up, and the slope a least-squares fit over its samples since it was ready. A restarted
 * process (new start time) starts a new baseline, so a restart sawtooth is never growth, and a
 * process that never became ready is listed as such, never judged. Per role the worst
 * incarnation is reported; a growth above the configured percentage is a FAIL reason.
 * <p>
 * Beside growth over time, it judges what in-place restarts left behind, from the counts each
 * process keeps ({@link RestartStats}): a component that left threads behind on most of its last
 * {@code restart-window} restarts fails the verdict however short the process' life. Memory per
 * incarnation is bounded. Pure: no I/O, time from the injected clock.
 */
public final class ResourceGrowth {

    /** Incarnations kept per instance (a process restarted more often keeps its latest ones). */
    static final int MAX_INCARNATIONS = 64;
    /** Not-ready incarnations named in the report at the most. */
    static final int MAX_NOT_READY_NAMED = 20;

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
     * for a few seconds; a real leak over hours crosses any floor. {@code restartWindow}: how many
     * of a component's last in-place restarts are judged.
     */
    public record Limits(Duration warmUp, double threadsPercent, double heapPercent, double rssPercent,
                         double minThreads, double minHeapBytes, double minRssBytes, int restartWindow) {

        public static final Duration PER = Duration.ofHours(6);

        public Limits(Duration warmUp, double threadsPercent, double heapPercent, double rssPercent, double minThreads, double minHeapBytes,
                      double minRssBytes) {
            this(warmUp, threadsPercent, heapPercent, rssPercent, minThreads, minHeapBytes, minRssBytes, 5);
        }

        public static Limits of(ResourcesConfig r) {
            return new Limits(r.warmUp(), r.maxThreadGrowthPercent(), r.maxHeapGrowthPercent(), r.maxRssGrowthPercent(),
                    r.minThreadGrowth(), r.minHeapGrowthMib() * MIB, r.minRssGrowthMib() * MIB, r.restartWindow());
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

        /** Leaky restarts among the last {@link #restartWindow} that fail the verdict: more than half of the window. */
        int leakyRestartsThatFail() {
            return restartWindow / 2 + 1;
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
        Incarnation inc = byStart.computeIfAbsent(s.processStartMillis(),
                start -> new Incarnation(s.instance(), start, s.atMillis(), limits.warmUp().toMillis()));
        while (byStart.size() > MAX_INCARNATIONS) {
            byStart.pollFirstEntry();
        }
        inc.add(s);
    }

    /** Per role, each resource's worst incarnation (judged ones first, then the highest growth), restarts and processes never ready. */
    public synchronized Map<String, Report.RoleResources> byRole() {
        Map<String, Report.RoleResources> out = new TreeMap<>();
        long now = clock.millis();
        processes.forEach((role, instances) -> {
            List<Incarnation> all = instances.values().stream().flatMap(m -> m.values().stream()).toList();
            List<String> notReady = all.stream().filter(i -> i.readyAtMillis == 0).map(Incarnation::describe)
                    .limit(MAX_NOT_READY_NAMED).toList();
            out.put(role, new Report.RoleResources(worst(all, Resource.THREADS, now), worst(all, Resource.HEAP_AFTER_GC, now),
                    worst(all, Resource.RSS, now), worstRestarts(all), notReady));
        });
        return out;
    }

    /** Every FAIL reason: growth beyond its limit, and restarts that leak. */
    public synchronized List<String> reasons() {
        List<String> reasons = new ArrayList<>(growthReasons());
        reasons.addAll(restartReasons());
        return reasons;
    }

    /** One FAIL reason per role and resource whose worst incarnation grew beyond its limit (judged at the end of the run). */
    public synchronized List<String> growthReasons() {
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

    /**
     * One FAIL reason per component whose in-place restarts left threads behind most of the time.
     * A fact, not a trend: it fails the live verdict as soon as it is seen, like a loss.
     */
    public synchronized List<String> restartReasons() {
        List<String> reasons = new ArrayList<>();
        byRole().forEach((role, rr) -> rr.restarts().forEach((component, leak) -> {
            if (leak.crossed()) {
                reasons.add(String.format(Locale.ROOT,
                        "in-place restarts of %s in %s left threads behind %d times in the last %d (%s threads per restart), limit: fewer than %d",
                        component, leak.instance(), leak.leaky(), leak.judgedRestarts(), number(leak.threadsPerRestart()),
                        limits.leakyRestartsThatFail()));
            }
        }));
        return reasons;
    }

    private Report.Growth worst(List<Incarnation> incarnations, Resource r, long now) {
        return incarnations.stream().map(i -> i.growth(r, now, limits)).filter(g -> g != null)
                .max(Comparator.comparing((Report.Growth g) -> g.judged())
                        .thenComparingDouble(g -> g.growthPercent() == null ? Double.NEGATIVE_INFINITY : g.growthPercent()))
                .orElse(null);
    }

    /** Per component: the incarnation whose restarts look worst (crossed first, then most leaky, then most restarts). */
    private Map<String, Report.RestartLeaks> worstRestarts(List<Incarnation> incarnations) {
        Map<String, Report.RestartLeaks> out = new TreeMap<>();
        for (Incarnation inc : incarnations) {
            inc.restarts.forEach((component, stats) -> {
                Report.RestartLeaks mine = judge(inc.instance, stats);
                out.merge(component, mine, (a, b) -> RESTART_ORDER.compare(a, b) >= 0 ? a : b);
            });
        }
        return out;
    }

    private static final Comparator<Report.RestartLeaks> RESTART_ORDER = Comparator.comparing(Report.RestartLeaks::crossed)
            .thenComparingInt(Report.RestartLeaks::leaky).thenComparingInt(Report.RestartLeaks::restarts);

    Report.RestartLeaks judge(String instance, RestartStats stats) {
        List<Integer> recent = stats.recent();
        int from = Math.max(0, recent.size() - limits.restartWindow());
        List<Integer> window = recent.subList(from, recent.size());
        int leaky = (int) window.stream().filter(left -> left > 0).count();
        double perRestart = window.isEmpty() ? 0 : window.stream().mapToInt(Integer::intValue).average().orElse(0);
        int need = limits.leakyRestartsThatFail();
        boolean judged = window.size() >= need;
        boolean crossed = judged && leaky >= need && leaky * 2 > window.size();
        return new Report.RestartLeaks(instance, stats.settled(), window.size(), leaky, perRestart, judged, crossed);
    }

    static String number(double value) {
        double rounded = Math.round(value * 10) / 10.0;
        return rounded == Math.rint(rounded) ? String.valueOf((long) rounded) : String.valueOf(rounded);
    }

    static double median(double[] values) {
        return WarmUpBaseline.median(values);
    }

    // ---- checkpoint ----

    /** Everything this judgement knows, for the verifier's checkpoint (a restarted verifier must not start new baselines mid-run). */
    public synchronized List<IncarnationState> snapshot() {
        List<IncarnationState> out = new ArrayList<>();
        processes.forEach((role, instances) -> instances.forEach((instance, byStart) -> byStart.values().forEach(i -> out.add(i.state(role)))));
        return out;
    }

    /** Replaces the state with a checkpoint's; samples that arrive afterwards continue it. */
    public synchronized void restore(List<IncarnationState> states) {
        processes.clear();
        if (states == null) {
            return;
        }
        for (IncarnationState st : states) {
            if (st == null || st.role() == null || st.instance() == null || st.resources() == null || st.resources().size() != 3) {
                throw new IllegalArgumentException("a resource incarnation in the checkpoint is incomplete");
            }
            TreeMap<Long, Incarnation> byStart = processes.computeIfAbsent(st.role(), r -> new TreeMap<>())
                    .computeIfAbsent(st.instance(), i -> new TreeMap<>());
            byStart.put(st.processStartMillis(), Incarnation.restore(st, limits.warmUp().toMillis()));
            while (byStart.size() > MAX_INCARNATIONS) {
                byStart.pollFirstEntry();
            }
        }
    }

    /** One incarnation as the checkpoint stores it (JSON). */
    public record IncarnationState(String role, String instance, long processStartMillis, long firstAtMillis, long lastAtMillis,
                                   long readyAtMillis, List<ResourceState> resources, Map<String, RestartStats> restarts) {
    }

    /** One resource of an incarnation: its warm-up, its last values and its fit. */
    public record ResourceState(long openedAtMillis, List<Double> warmUp, List<Double> last, long n, double meanT, double meanY, double cTY,
                                double m2T) {
    }

    /** One process incarnation: bounded state. */
    private static final class Incarnation {
        final String instance;
        final long processStartMillis;
        final long firstAtMillis;
        final long warmUpMillis;
        long lastAtMillis;
        long readyAtMillis;
        final WarmUpBaseline[] baselines;
        @SuppressWarnings("unchecked")
        final ArrayDeque<Double>[] last = new ArrayDeque[] {new ArrayDeque<Double>(), new ArrayDeque<Double>(), new ArrayDeque<Double>()};
        final Fit[] fits = {new Fit(), new Fit(), new Fit()};
        Map<String, RestartStats> restarts = Map.of();

        Incarnation(String instance, long processStartMillis, long firstAtMillis, long warmUpMillis) {
            this.instance = instance;
            this.processStartMillis = processStartMillis;
            this.firstAtMillis = firstAtMillis;
            this.lastAtMillis = firstAtMillis;
            this.warmUpMillis = warmUpMillis;
            this.baselines = new WarmUpBaseline[] {new WarmUpBaseline(warmUpMillis), new WarmUpBaseline(warmUpMillis),
                    new WarmUpBaseline(warmUpMillis)};
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
            // A process that is still starting (or a sample from before it was ready) is no baseline and no growth.
            if (readyAtMillis == 0 || s.atMillis() < readyAtMillis) {
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
                    last[k].addLast(v);
                    if (last[k].size() > ResourceSample.END_SAMPLES) {
                        last[k].removeFirst();
                    }
                }
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
            double end = last[k].isEmpty() ? warm.get(warm.size() - 1) : median(last[k].stream().mapToDouble(Double::doubleValue).toArray());
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
                Fit f = fits[k];
                rs.add(new ResourceState(baselines[k].openedAtMillis(), baselines[k].values(), List.copyOf(last[k]), f.n, f.meanT, f.meanY,
                        f.cTY, f.m2T));
            }
            return new IncarnationState(role, instance, processStartMillis, firstAtMillis, lastAtMillis, readyAtMillis, rs, restarts);
        }

        static Incarnation restore(IncarnationState st, long warmUpMillis) {
            Incarnation inc = new Incarnation(st.instance(), st.processStartMillis(), st.firstAtMillis(), warmUpMillis);
            inc.lastAtMillis = st.lastAtMillis();
            inc.readyAtMillis = st.readyAtMillis();
            inc.restarts = st.restarts() == null ? Map.of() : Map.copyOf(st.restarts());
            for (int k = 0; k < 3; k++) {
                ResourceState r = st.resources().get(k);
                if (r.openedAtMillis() >= 0) {
                    inc.baselines[k] = WarmUpBaseline.restore(warmUpMillis, r.openedAtMillis(), r.warmUp());
                }
                if (r.last() != null) {
                    r.last().stream().filter(v -> v != null && !v.isNaN()).skip(Math.max(0, r.last().size() - ResourceSample.END_SAMPLES))
                            .forEach(inc.last[k]::addLast);
                }
                inc.fits[k] = Fit.restore(r.n(), r.meanT(), r.meanY(), r.cTY(), r.m2T());
            }
            return inc;
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

        static Fit restore(long n, double meanT, double meanY, double cTY, double m2T) {
            Fit f = new Fit();
            f.n = Math.max(0, n);
            f.meanT = meanT;
            f.meanY = meanY;
            f.cTY = cTY;
            f.m2T = m2T;
            return f;
        }
    }
}

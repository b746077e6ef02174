package io.natsoak.verifier;

import io.natsoak.config.ResourcesConfig;
import io.natsoak.model.Report;
import io.natsoak.model.ResourceSample;
import io.natsoak.model.ResourceSample.RestartStats;
import io.natsoak.resources.WarmUpBaseline;

import java.time.Clock;
import java.time.Duration;
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
 * old-generation collection), "end" the floor of its samples of the last two minutes after the
 * warm-up (a fault's transient at the end of a short life is not growth, a leak raises the floor), and the slope a least-squares fit over its samples since it was ready. A restarted
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
                         double minThreads, double minHeapBytes, double minRssBytes, int restartWindow, Duration endWindow) {

        public static final Duration PER = Duration.ofHours(6);

        public Limits(Duration warmUp, double threadsPercent, double heapPercent, double rssPercent, double minThreads, double minHeapBytes,
                      double minRssBytes) {
            this(warmUp, threadsPercent, heapPercent, rssPercent, minThreads, minHeapBytes, minRssBytes, 5, Duration.ofMinutes(2));
        }

        public static Limits of(ResourcesConfig r) {
            return new Limits(r.warmUp(), r.maxThreadGrowthPercent(), r.maxHeapGrowthPercent(), r.maxRssGrowthPercent(),
                    r.minThreadGrowth(), r.minHeapGrowthMib() * MIB, r.minRssGrowthMib() * MIB, r.restartWindow(), r.endWindow());
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
                start -> new Incarnation(s.instance(), start, s.atMillis(), limits.warmUp().toMillis(), limits.endWindow().toMillis()));
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
            List<String> notReady = all.stream().filter(i -> !i.everReady()).map(Incarnation::describe)
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
            inc.restarts().forEach((component, stats) -> {
                Report.RestartLeaks mine = judge(inc.instance(), stats);
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
            byStart.put(st.processStartMillis(), Incarnation.restore(st, limits.warmUp().toMillis(), limits.endWindow().toMillis()));
            while (byStart.size() > MAX_INCARNATIONS) {
                byStart.pollFirstEntry();
            }
        }
    }
}

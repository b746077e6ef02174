package io.natsoak.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench scale}: 1,500 partitions, 10 workers sharing them through the partition manager,
 * a timed run (10 minutes by default) judged by the verifier's verdict, beside raw jnats at the
 * same 1,500 partitions with the consumption model natsoak uses (an ordered consumer per
 * partition), measured first in the same run. The run's rate is the goal itself: 0.8 of that raw
 * figure and never less than 4,800 msg/s (or {@code --rate}).
 */
final class ScaleScenario implements Scenario {

    static final int PARTITIONS = 1_500;
    static final double MIN_RATE = 4_800;
    static final double SHARE_OF_RAW = 0.8;
    static final Duration DEFAULT_DURATION = Duration.ofMinutes(10);
    /** The earlier tool's stress run (100 workers, one process). */
    static final double EARLIER_TOOL = 1_497;
    private static final int MAX_LAG_SECONDS = 5;

    private final Double rate;
    private final Duration duration;

    ScaleScenario(Double rate, Duration duration) {
        this.rate = rate;
        this.duration = duration == null ? DEFAULT_DURATION : duration;
    }

    @Override
    public String name() {
        return "scale";
    }

    @Override
    public Measured run(BenchContext ctx) throws Exception {
        int partitions = ctx.size(PARTITIONS, 20);
        RawJetStream.Result raw = RawScenario.measure(ctx, RawJetStream.Model.ORDERED, partitions);
        double target = ctx.size(rate != null ? rate : goal(raw.consumedPerSecond()), 40.0);
        Map<String, String> s = new LinkedHashMap<>();
        s.put("natsoak.partitions.count", Integer.toString(partitions));
        s.put("natsoak.partitions.rate", Double.toString(target / partitions));
        s.put("natsoak.producer.count", ctx.size("3", "1"));
        s.put("natsoak.worker.count", ctx.size("10", "2"));
        s.put("natsoak.worker.assignment", "weighted-consistent-hash");
        Duration runFor = ctx.size(duration, Duration.ofSeconds(25));
        SoakRun.Outcome o = SoakRun.run(ctx, new SoakRun.Plan("scale", s, runFor, ctx.size(Duration.ofSeconds(60), Duration.ofSeconds(2)),
                Duration.ZERO, target, MAX_LAG_SECONDS, SoakRun.Judge.AFTER_THE_VERDICT));
        String shape = String.format("natsoak, %d partitions, %s workers (%s), %s", partitions, ctx.setting("natsoak.worker.count", s, "?"),
                ctx.setting("natsoak.worker.assignment", s, "?"), human(runFor));
        List<Figure> figures = new ArrayList<>();
        figures.add(Figure.of(shape + ": target rate", target, "msg/s"));
        figures.add(Figure.of(shape + ": verified (steady window)", o.verifiedPerSecond(), "msg/s")
                .goal(">= 4,800 and >= 0.8 x raw").limit(o.why().isEmpty() ? "the configured rate: it kept up (" + o.cpu().breakdown() + ")"
                        : o.cpu().limit(o.why())));
        figures.add(Figure.of(shape + ": lost messages (gaps)", o.report().gaps(), "messages").goal("0"));
        figures.add(Figure.of(shape + ": unexplained duplicates", o.report().duplicates().unexplained(), "messages").goal("0"));
        figures.add(Figure.of(shape + ": latency p99", o.report().latencyMillis().p99(), "ms"));
        figures.add(Figure.of("natsoak / raw (ordered consumer per partition)", PipelineScenario.ratio(o.verifiedPerSecond(),
                raw.consumedPerSecond()), "ratio").goal(">= 0.8"));
        figures.add(Figure.of("natsoak / the earlier tool's 1,497 msg/s", o.verifiedPerSecond() / EARLIER_TOOL, "ratio").goal(">= 1"));
        for (RoleFootprint f : o.footprint()) {
            figures.add(Figure.of(String.format("%s x%d: threads per process", f.role(), f.processes()), f.threadsPerProcess(), "threads"));
            figures.add(Figure.of(String.format("%s x%d: RSS per process", f.role(), f.processes()), f.rssMiBPerProcess(), "MiB"));
        }
        figures.addAll(RawScenario.figures(raw));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("settings", s);
        details.put("natsoak", o);
        details.put("raw", raw);
        return new Measured(figures, details, o.passed());
    }

    /** 0.8 of raw, rounded up to 100 msg/s, and at least 4,800 msg/s. */
    static double goal(double rawPerSecond) {
        return Math.max(MIN_RATE, Math.ceil(rawPerSecond * SHARE_OF_RAW / 100) * 100);
    }

    private static String human(Duration d) {
        return d.toSeconds() % 60 == 0 ? d.toMinutes() + " min" : d.toSeconds() + " s";
    }
}

package io.natsoak.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench pipeline}: the highest total rate natsoak's producer -> worker -> verifier pipeline
 * sustains with zero loss, beside raw jnats at the same partitions measured in the same run
 * (durable consumer, ordered consumer per partition, and the latter with message ids).
 * <p>
 * Each trial is a fresh local run (its own NATS cluster and processes) at one rate: after a
 * warm-up, a window in which the producers must publish and the verifier verify at least 95 %
 * of the rate with at most {@value #MAX_LAG_SECONDS} s of messages in flight at its end, then a
 * PASS verdict. {@link RateSearch} picks the rates. Workers simulate no processing time
 * (natsoak.worker.processing-delay-* = 0): this measures natsoak's own cost.
 */
final class PipelineScenario implements Scenario {

    static final int MAX_LAG_SECONDS = 2;
    private static final int MAX_TRIALS = 8;
    private static final double FLOOR = 100;
    /**
     * The third reference: raw publishing with a Nats-Msg-Id per message, as natsoak's producer
     * must for idempotent retries (the design requires it). The servers' deduplication is the
     * largest single part (about half) of what natsoak costs beyond plain raw on the benchmark
     * machine, so this ratio shows what natsoak's own processes add on top of what the design
     * asks of NATS.
     */
    static final RawJetStream.Publishing WITH_MESSAGE_IDS = new RawJetStream.Publishing(RawJetStream.Publishing.DEFAULT.window(), true);

    private final int partitions;
    private final Double startRate;

    PipelineScenario(Integer partitions, Double startRate) {
        this.partitions = partitions == null ? RawScenario.DEFAULT_PARTITIONS : partitions;
        this.startRate = startRate;
    }

    @Override
    public String name() {
        return "pipeline";
    }

    @Override
    public Measured run(BenchContext ctx) throws Exception {
        int p = ctx.size(partitions, 4);
        RawJetStream.Result durable = RawScenario.measure(ctx, RawJetStream.Model.DURABLE, p);
        RawJetStream.Result ordered = RawScenario.measure(ctx, RawJetStream.Model.ORDERED, p);
        RawJetStream.Result orderedWithIds = RawScenario.measure(ctx, RawJetStream.Model.ORDERED, p, WITH_MESSAGE_IDS);
        double start = startRate != null ? startRate : ctx.size(durable.consumedPerSecond() / 2, 20.0);
        boolean[] verdictsPassed = {true};
        RateSearch.Result search = RateSearch.search(start, ctx.size(FLOOR, 5.0), ctx.size(MAX_TRIALS, 1), rate -> {
            SoakRun.Outcome o = SoakRun.run(ctx, plan(ctx, p, rate));
            if (o.report() != null && !o.passed()) {
                verdictsPassed[0] = false;
            }
            return new RateSearch.Trial(rate, o.sustained(), o.verifiedPerSecond(), o);
        });
        List<Figure> figures = new ArrayList<>();
        SoakRun.Outcome best = outcomeAt(search, search.best());
        String limit = limitOf(search);
        Map<String, String> shown = settings(ctx, p, 1);
        String shape = String.format("natsoak pipeline, %d partitions, %s producer(s), %s worker(s) (%s)", p,
                ctx.setting("natsoak.producer.count", shown, "?"), ctx.setting("natsoak.worker.count", shown, "?"), ctx.assignment(shown));
        figures.add(Figure.of(shape + ": highest sustained rate with zero loss", search.best(), "msg/s").limit(limit));
        figures.add(Figure.of(shape + ": verified at that rate", best == null ? 0 : best.verifiedPerSecond(), "msg/s"));
        figures.add(Figure.of("pipeline / raw (durable consumer)", ratio(search.best(), durable.consumedPerSecond()), "ratio").goal(">= 0.8"));
        figures.add(Figure.of("pipeline / raw (ordered consumer per partition)", ratio(search.best(), ordered.consumedPerSecond()), "ratio"));
        figures.add(Figure.of("pipeline / raw with message ids (ordered consumer per partition, publishing as natsoak must)",
                ratio(search.best(), orderedWithIds.consumedPerSecond()), "ratio"));
        figures.addAll(RawScenario.figures(durable));
        figures.addAll(RawScenario.figures(ordered));
        figures.addAll(RawScenario.figures(orderedWithIds));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("search", Map.of("start", RateSearch.round(start), "grow", RateSearch.GROW, "precisionPercent", RateSearch.PRECISION_PERCENT,
                "maxLagSeconds", MAX_LAG_SECONDS, "settings", settings(ctx, p, 1)));
        details.put("trials", search.trials().stream().map(t -> t.detail()).toList());
        details.put("rawDurable", durable);
        details.put("rawOrdered", ordered);
        details.put("rawOrderedWithMessageIds", orderedWithIds);
        return new Measured(figures, details, verdictsPassed[0]);
    }

    private static SoakRun.Plan plan(BenchContext ctx, int partitions, double rate) {
        return new SoakRun.Plan("pipeline-" + Math.round(rate), settings(ctx, partitions, rate), Duration.ZERO,
                ctx.size(Duration.ofSeconds(15), Duration.ofSeconds(2)), ctx.size(Duration.ofSeconds(30), Duration.ofSeconds(3)), rate,
                MAX_LAG_SECONDS, SoakRun.Judge.EARLY);
    }

    static Map<String, String> settings(BenchContext ctx, int partitions, double rate) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("natsoak.partitions.count", Integer.toString(partitions));
        s.put("natsoak.partitions.rate", Double.toString(rate / partitions));
        s.put("natsoak.producer.count", "1");
        s.put("natsoak.worker.count", ctx.size("2", "1"));
        s.put("natsoak.worker.processing-delay-min", "0ms");
        s.put("natsoak.worker.processing-delay-max", "0ms");
        s.put("natsoak.verifier.validation-window", "10s");
        return s;
    }

    /** What stopped the search from going higher: the first rate above the best that failed, and why. */
    private static String limitOf(RateSearch.Result search) {
        SoakRun.Outcome failed = outcomeAt(search, search.lowestFailed());
        if (failed == null) {
            return "the search's trial budget (no higher rate was tried)";
        }
        return failed.cpu().limit(String.format("at %.0f msg/s: %s", failed.targetRate(), failed.why()));
    }

    private static SoakRun.Outcome outcomeAt(RateSearch.Result search, double rate) {
        return search.trials().stream().filter(t -> t.rate() == rate).map(t -> (SoakRun.Outcome) t.detail()).findFirst().orElse(null);
    }

    static double ratio(double a, double b) {
        return b <= 0 ? 0 : a / b;
    }
}

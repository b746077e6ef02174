package io.natsoak.bench;

import io.natsoak.local.LocalTopology;
import io.natsoak.local.NatsCluster;
import io.natsoak.local.RoleProcess;
import io.natsoak.model.Report;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * One natsoak run on a fresh {@link LocalTopology}, measured the same way by every scenario:
 * once messages flow (the verifier reports published and verified sequences), a warm-up, then
 * a window over which the verifier's live report gives the published and verified rates and
 * the backlog (in flight) at its end, the CPU meter who used the machine, and /proc the
 * threads and RSS of every process. Then the verdict, unless the run already failed to keep up.
 */
final class SoakRun {

    private static final Duration FLOWING_TIMEOUT = Duration.ofMinutes(4);
    private static final long SAMPLE_MILLIS = 1_000;
    private static final long FOOTPRINT_EVERY_MILLIS = 5_000;
    /** Time left for the verdict after the run: the verifier's settle timeout and final window, workers' drain. */
    private static final Duration VERDICT_MARGIN = Duration.ofMinutes(3);
    /** A timed run's window ends this long before its duration (the run clock starts a moment before the verifier is up). */
    private static final Duration TIMED_END_MARGIN = Duration.ofSeconds(5);
    private static final Duration SMOKE_MIN_WINDOW = Duration.ofSeconds(1);

    /**
     * @param settings       natsoak.* settings of the run (the command line's -D settings still win)
     * @param duration       zero: producers publish until the window is over, then stop, and the verifier decides after one
     *                       validation window (quick; right for runs that keep up). Otherwise a timed run (natsoak.duration):
     *                       the window lasts until shortly before its end, and the verifier decides once everything published
     *                       is verified or receipts stopped coming (a backlog then drains instead of turning into gaps)
     * @param window         the measurement window of an open-ended run
     * @param targetRate     the configured total rate, msg/s
     * @param maxLagSeconds  sustained means at most this many seconds of messages in flight at the end of the window
     * @param judge          whether and when keeping up with the target rate is judged
     */
    record Plan(String name, Map<String, String> settings, Duration duration, Duration warmUp, Duration window, double targetRate,
                double maxLagSeconds, Judge judge) {
    }

    enum Judge {
        /** Rates are measured, not judged (a footprint run: "idle" has no rate to keep up with). */
        NONE,
        /** Judged after the window; the verdict is taken either way. */
        AFTER_THE_VERDICT,
        /** Judged after the window; a run that did not keep up stops there (the rate search needs no verdict for it). */
        EARLY
    }

    /**
     * @param sustained  kept up (rates within 5 % of the target, bounded backlog) and, when a verdict was taken, PASS
     * @param why        why it was not sustained, or empty
     * @param report     the final report, when the run went that far
     */
    record Outcome(double targetRate, double publishedPerSecond, double verifiedPerSecond, long inFlightAtEnd, boolean sustained, String why,
                   CpuUsage cpu, List<RoleFootprint> footprint, Report report) {

        boolean passed() {
            return report != null && report.passed();
        }
    }

    private SoakRun() {
    }

    static Outcome run(BenchContext ctx, Plan plan) throws Exception {
        Map<String, String> settings = new java.util.LinkedHashMap<>(plan.settings());
        settings.put("natsoak.duration", plan.duration().isZero() ? "0" : plan.duration().toSeconds() + "s");
        LocalTopology t = ctx.topology(plan.name(), settings);
        try (t) {
            ctx.say("%s: starting NATS and the role processes (%s msg/s target)", plan.name(), BenchReport.format(plan.targetRate()));
            t.start();
            long started = System.nanoTime();
            BenchContext.await(FLOWING_TIMEOUT, "messages to flow end to end in " + plan.name() + " (logs: " + t.logs() + ")",
                    () -> t.liveReport().map(r -> r.verified() > 0).orElse(false) || !t.verifier().isAlive());
            if (!t.verifier().isAlive()) {
                throw new BenchException("the verifier of " + plan.name() + " exited early (exit code " + t.verifier().exitCode() + "; log "
                        + t.verifier().log() + ")");
            }
            Thread.sleep(plan.warmUp().toMillis());
            CpuMeter meter = new CpuMeter(Map.of("nats-server", natsPids(t.cluster()), "natsoak", rolePids(t)));
            RoleFootprint.Sampler footprint = new RoleFootprint.Sampler();
            Report a = live(t);
            CpuMeter.Snapshot ca = meter.snapshot();
            long end = plan.duration().isZero() ? System.nanoTime() + plan.window().toNanos()
                    : started + plan.duration().minus(TIMED_END_MARGIN).toNanos();
            if (end - System.nanoTime() < plan.warmUp().toNanos() / 2) {
                if (!ctx.smoke()) {
                    throw new BenchException(plan.name() + ": the run's duration leaves no measurement window after start-up and warm-up");
                }
                end = System.nanoTime() + SMOKE_MIN_WINDOW.toNanos(); // a slow start on a busy machine must not fail the smoke test
            }
            long nextFootprint = 0;
            while (System.nanoTime() < end) {
                if (System.nanoTime() >= nextFootprint) {
                    for (RoleProcess p : t.processes()) {
                        footprint.sample(p.name(), p.pid());
                    }
                    for (int i = 0; i < t.cluster().size(); i++) {
                        footprint.sample("nats-server-" + i, t.cluster().pid(i));
                    }
                    nextFootprint = System.nanoTime() + FOOTPRINT_EVERY_MILLIS * 1_000_000;
                }
                Thread.sleep(Math.min(SAMPLE_MILLIS, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            }
            Report b = live(t);
            CpuMeter.Snapshot cb = meter.snapshot();
            double seconds = (cb.nanos() - ca.nanos()) / 1e9;
            double publishedRate = (b.published() - a.published()) / seconds;
            double verifiedRate = (b.verified() - a.verified()) / seconds;
            CpuUsage cpu = CpuMeter.between(ca, cb);
            String why = plan.judge() == Judge.NONE ? "" : keepingUp(plan, publishedRate, verifiedRate, b.inFlight());
            ctx.say("%s: published %.0f msg/s, verified %.0f msg/s, in flight %d at the end of the window%s", plan.name(), publishedRate,
                    verifiedRate, b.inFlight(), why.isEmpty() ? "" : ": " + why);
            if (!why.isEmpty() && plan.judge() == Judge.EARLY) {
                return new Outcome(plan.targetRate(), publishedRate, verifiedRate, b.inFlight(), false, why, cpu, footprint.byRole(), null);
            }
            Report report = verdict(t, plan);
            if (!report.passed() && why.isEmpty()) {
                why = "verdict FAIL: " + String.join("; ", report.reasons());
            }
            ctx.say("%s: verdict %s, %d published, %d verified, %d gaps", plan.name(), report.verdict(), report.published(),
                    report.verified(), report.gaps());
            return new Outcome(plan.targetRate(), publishedRate, verifiedRate, b.inFlight(), why.isEmpty(), why, cpu, footprint.byRole(),
                    report);
        } finally {
            ctx.discard(t);
        }
    }

    /** Empty when the window kept up with the target, else why not. */
    private static String keepingUp(Plan plan, double publishedRate, double verifiedRate, long inFlight) {
        double floor = 0.95 * plan.targetRate();
        if (publishedRate < floor) {
            return String.format("producers published only %.0f of %.0f msg/s", publishedRate, plan.targetRate());
        }
        if (verifiedRate < floor) {
            return String.format("only %.0f of %.0f msg/s verified", verifiedRate, plan.targetRate());
        }
        if (inFlight > plan.maxLagSeconds() * plan.targetRate()) {
            return String.format("%d messages in flight at the end (more than %.0f s behind)", inFlight, plan.maxLagSeconds());
        }
        return "";
    }

    /** A timed run ends by itself: wait for the verifier's verdict. An open-ended one is stopped here (producers, then the verifier). */
    private static Report verdict(LocalTopology t, Plan plan) throws InterruptedException {
        if (!plan.duration().isZero()) {
            BenchContext.await(VERDICT_MARGIN.plus(plan.duration()), "the verdict of " + plan.name(), () -> !t.verifier().isAlive());
        }
        Optional<Report> report = t.finish();
        return report.orElseThrow(() -> new BenchException("the verifier of " + plan.name() + " wrote no report (exit code "
                + t.verifier().exitCode() + "; log " + t.verifier().log() + ")"));
    }

    private static Report live(LocalTopology t) throws InterruptedException {
        for (int attempt = 0; attempt < 10; attempt++) {
            Optional<Report> r = t.liveReport();
            if (r.isPresent()) {
                return r.get();
            }
            Thread.sleep(200);
        }
        throw new BenchException("the verifier's live report is not answering (log " + t.verifier().log() + ")");
    }

    static Supplier<Collection<Long>> natsPids(NatsCluster cluster) {
        return () -> IntStream.range(0, cluster.size()).mapToObj(cluster::pid).filter(p -> p > 0).toList();
    }

    private static Supplier<Collection<Long>> rolePids(LocalTopology t) {
        return () -> {
            List<Long> pids = new ArrayList<>();
            for (RoleProcess p : t.processes()) {
                if (p.isAlive()) {
                    pids.add(p.pid());
                }
            }
            return pids;
        };
    }
}

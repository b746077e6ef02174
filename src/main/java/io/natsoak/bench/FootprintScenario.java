package io.natsoak.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench footprint}: threads and resident memory of each role process (and of each
 * nats-server node) with the stress profile's shape (1,500 partitions, 3 producers, 10
 * workers), once idle (0.15 msg/s in total: connected, every partition's consumer open, no
 * traffic to speak of) and once under 1,500 msg/s. Each figure is the mean over the role's
 * processes of each process' median sample over the window.
 */
final class FootprintScenario implements Scenario {

    static final int PARTITIONS = 1_500;

    @Override
    public String name() {
        return "footprint";
    }

    @Override
    public Measured run(BenchContext ctx) throws Exception {
        int partitions = ctx.size(PARTITIONS, 20);
        List<Figure> figures = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();
        boolean passed = true;
        // idle: 1 message per 10,000 s per partition is the lowest rate that is not "nothing"
        for (double perPartition : new double[] {0.0001, 1.0}) {
            double total = perPartition * partitions;
            String phase = perPartition < 1 ? "idle" : String.format("%.0f msg/s", total);
            Map<String, String> s = new LinkedHashMap<>();
            s.put("natsoak.partitions.count", Integer.toString(partitions));
            s.put("natsoak.partitions.rate", Double.toString(perPartition));
            s.put("natsoak.producer.count", ctx.size("3", "1"));
            s.put("natsoak.worker.count", ctx.size("10", "2"));
            s.put("natsoak.verifier.validation-window", "20s");
            SoakRun.Outcome o = SoakRun.run(ctx, new SoakRun.Plan("footprint-" + (perPartition < 1 ? "idle" : "loaded"), s, Duration.ZERO,
                    ctx.size(Duration.ofSeconds(30), Duration.ofSeconds(2)), ctx.size(Duration.ofSeconds(30), Duration.ofSeconds(4)), total,
                    Double.MAX_VALUE, SoakRun.Judge.NONE));
            passed &= o.passed();
            for (RoleFootprint f : o.footprint()) {
                String who = String.format("%s (%d process%s), %d partitions, %s", f.role(), f.processes(), f.processes() == 1 ? "" : "es",
                        partitions, phase);
                if (f.role().equals("worker")) {
                    who += " (" + ctx.assignment(s) + ")";
                }
                figures.add(Figure.of(who + ": threads per process", f.threadsPerProcess(), "threads"));
                figures.add(Figure.of(who + ": RSS per process", f.rssMiBPerProcess(), "MiB").limit(
                        f.role().equals("nats-server") ? "" : "a 256 MiB heap committed and touched at start (natsoak.local.jvm-options) plus native memory"));
            }
            details.put(perPartition < 1 ? "idle" : "loaded", o);
        }
        return new Measured(figures, details, passed);
    }
}

package io.natsoak.bench;

import io.natsoak.model.Json;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The verifier scenario's measuring JVM: started by {@link VerifierScenario} on a plain class
 * path (JMH forks its measurement JVMs with this JVM's class path, which a Quarkus fast-jar does
 * not expose). Measures the verifier's memory first (this JVM runs with the serial collector),
 * then runs the JMH benchmarks through JMH's Runner API, and writes the figures as JSON.
 * Usage: {@code VerifierBench <out.json> <smoke: true|false>}.
 */
public final class VerifierBench {

    static final double GOAL_PER_CORE = 5_000_000;
    private static final int PARTITIONS = 1_500;
    private static final String ONE_CORE = "one core: JMH, one thread, one fork";

    private VerifierBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: VerifierBench <out.json> <smoke: true|false>");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        boolean smoke = Boolean.parseBoolean(args[1]);
        List<Figure> figures = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();

        Collection<RunResult> results = new Runner(options(smoke)).run();
        Map<String, Double> score = new LinkedHashMap<>();
        Map<String, Double> allocated = new LinkedHashMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark().replaceFirst(".*\\.", "");
            String order = r.getParams().getParam("outOfOrder");
            String key = order == null ? method : method + "/" + order;
            score.put(key, r.getPrimaryResult().getScore());
            r.getSecondaryResults().entrySet().stream().filter(e -> e.getKey().endsWith("gc.alloc.rate.norm")).map(Map.Entry::getValue)
                    .map(Result::getScore).findFirst().ifPresent(b -> allocated.put(key, b));
        }
        for (String method : List.of("ingest", "ledger")) {
            for (Map.Entry<String, Double> e : score.entrySet()) {
                if (e.getKey().startsWith(method + "/")) {
                    String order = e.getKey().substring(method.length() + 1);
                    String what = method.equals("ingest") ? "ingestion (Verification.onReceipt)" : "ledger alone (PartitionLedger.record)";
                    Figure f = Figure.of(String.format("%s, %,d partitions, %s", what, PARTITIONS, orderLabel(order)), e.getValue(),
                            "receipts/s per core").limit(ONE_CORE);
                    figures.add(method.equals("ingest") ? f.goal(">= 5,000,000") : f);
                }
            }
        }
        Double decode = score.get("decode");
        Double inOrder = score.get("ingest/1");
        if (decode != null) {
            figures.add(Figure.of("decoding receipt batches of 500 (ReceiptBatch.decode)", decode, "receipts/s per core").limit(ONE_CORE));
        }
        if (decode != null && inOrder != null) {
            figures.add(Figure.of("decode + ingest, in order", 1 / (1 / decode + 1 / inOrder), "receipts/s per core").goal(">= 5,000,000")
                    .limit(ONE_CORE));
        }
        if (allocated.containsKey("ingest/1")) {
            figures.add(Figure.of("heap allocated per ingested receipt, in order", allocated.get("ingest/1"), "bytes"));
        }
        if (allocated.containsKey("decode")) {
            figures.add(Figure.of("heap allocated per decoded receipt", allocated.get("decode"), "bytes").limit("a Receipt object and its list slot"));
        }

        int partitions = smoke ? 1_000 : 10_000;
        double after10 = VerifierMemory.perPartition(partitions, 10);
        double after1000 = VerifierMemory.perPartition(partitions, smoke ? 20 : 1_000);
        double withMarks = VerifierMemory.perPartitionWithMarks(partitions, Duration.ofSeconds(30));
        figures.add(Figure.of("verifier memory per partition after 10 receipts per partition", after10, "bytes"));
        figures.add(Figure.of(String.format("verifier memory per partition after %,d receipts per partition", smoke ? 20 : 1_000), after1000,
                "bytes").goal("= the line above (independent of the message count)"));
        figures.add(Figure.of("verifier memory per partition with 30 s of producer marks (1 per s)", withMarks, "bytes")
                .limit("the marks history of the validation window, not the message count"));
        for (int held : smoke ? new int[] {4_096} : new int[] {4_096, 65_536}) {
            double[] perHeld = VerifierMemory.perHeldSequence(smoke ? 100 : (held > 10_000 ? 1_000 : 10_000), held);
            figures.add(Figure.of(String.format("memory per out-of-order sequence held (%,d held per partition)", held), perHeld[0], "bytes")
                    .limit(String.format("one bit per sequence; the bitset grows by doubling, so up to two (ledger's own estimate %.3f)", perHeld[1])));
        }
        details.put("scores", score);
        details.put("allocatedBytesPerReceipt", allocated);
        details.put("memoryPartitions", partitions);
        Files.writeString(out, Json.pretty(new Scenario.Measured(figures, details, true)));
    }

    private static org.openjdk.jmh.runner.options.Options options(boolean smoke) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("io\\.natsoak\\.bench\\.(VerifierBenchmarks|ReceiptDecodeBenchmark)\\.")
                .forks(1)
                .threads(1)
                // the measurement JVM gets its own settings instead of inheriting this one's (serial GC, for the memory part)
                .jvmArgs("-Xms1g", "-Xmx1g")
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .param("partitions", Integer.toString(PARTITIONS));
        if (smoke) {
            return b.warmupIterations(1).warmupTime(TimeValue.milliseconds(100)).measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(200)).param("outOfOrder", "1").build();
        }
        return b.warmupIterations(3).warmupTime(TimeValue.seconds(2)).measurementIterations(5).measurementTime(TimeValue.seconds(2)).build();
    }

    private static String orderLabel(String outOfOrder) {
        return "1".equals(outOfOrder) ? "in order" : "shuffled in blocks of " + outOfOrder;
    }
}

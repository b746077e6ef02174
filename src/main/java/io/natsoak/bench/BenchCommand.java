package io.natsoak.bench;

import io.natsoak.config.ConfigException;
import io.natsoak.config.ConfigLoader;
import io.natsoak.local.LocalLauncher;
import io.natsoak.local.NatsCluster;
import io.natsoak.local.NatsServerChoice;
import io.quarkus.runtime.configuration.DurationConverter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code ./natsoak bench [SCENARIO]}: measures natsoak's speed and cost on this machine, each
 * scenario printing a table and writing {@code <out>/<scenario>.json}. Figures, the machine,
 * the exact command and what limited each figure go to docs/benchmarks.md.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures natsoak on this machine; each scenario prints a table and writes <out>/<scenario>.json.",
                "Scenarios (each full measurement is one command: ./natsoak bench SCENARIO):",
                "  raw        plain jnats, publish with PubAck + consume, both consumption models, 100 partitions (~2 min)",
                "  pipeline   highest rate natsoak's producer -> worker -> verifier sustains with zero loss, and its ratio",
                "             to raw measured in the same run (a rate search of fresh runs, ~10 min)",
                "  verifier   JMH: receipts/s per core; verifier memory per partition and per out-of-order sequence (~3 min)",
                "  recovery   20 SIGKILLs of managed workers: recovery p50/p99 (~6 min)",
                "  footprint  threads and RSS per role, 1,500 partitions, idle and at 1,500 msg/s (~5 min)",
                "  scale      1,500 partitions, 10 workers for 10 minutes at 0.8 of raw at 1,500 partitions (at least 4,800 msg/s),",
                "             beside that raw figure measured first (~15 min)",
                "  all        every scenario above, in that order (the default)",
                "Exit code 0 when every scenario ran and every verdict it took passed, 1 otherwise, 2 for bad arguments."})
public final class BenchCommand implements Callable<Integer> {

    static final List<String> SCENARIOS = List.of("raw", "pipeline", "verifier", "recovery", "footprint", "scale");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'");

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO", description = "raw, pipeline, verifier, recovery, footprint, scale or all.")
    String scenario = "all";

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the JSON results (default: bench-results).")
    Path out = Path.of("bench-results");

    @Option(names = "--nats", paramLabel = "VERSION|PATH", description = "The nats-server to run: 2.9, 2.10 or 2.15 (fetched once into the cache, as for ./natsoak local --nats) or a binary's path. Default: the installed nats-server.")
    String nats;

    @Option(names = "--smoke", description = "Tiny sizes, seconds per scenario: proves the command works (the test suite runs it); the figures mean nothing.")
    boolean smoke;

    @Option(names = "--partitions", paramLabel = "N", description = "raw and pipeline: partitions (default 100).")
    Integer partitions;

    @Option(names = "--rate", paramLabel = "MSG_PER_S", description = "pipeline: the rate search's first rate (default: half of raw); scale: the total rate (default: 0.8 of raw at 1,500 partitions, at least 4800).")
    Double rate;

    @Option(names = "--duration", paramLabel = "D", description = "scale: how long the run publishes, e.g. 10m (default 10m).")
    String duration;

    @Option(names = "--kills", paramLabel = "N", description = "recovery: worker SIGKILLs (default 20).")
    Integer kills;

    @Option(names = "--publish-window", paramLabel = "N", description = "raw: PubAcks outstanding at once (default 1000).")
    Integer publishWindow;

    @Option(names = "--message-ids", description = "raw: publish with a Nats-Msg-Id per message, as natsoak's producer does (stream duplicate window 2 min).")
    boolean messageIds;

    @Option(names = "-D", paramLabel = "key=value", description = "A natsoak setting for every run, over the scenario's own, e.g. -Dnatsoak.worker.assignment=static.")
    Map<String, String> properties = new HashMap<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<String> names = scenarioNames();
        Duration scaleDuration = parseArguments();
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.put("natsoak.role", "local");
        ConfigLoader.fromMap(all); // a bad -D costs one line and exit code 2 before anything starts
        PrintStream log = System.out;
        Path jar;
        try {
            jar = jar();
        } catch (BenchException e) {
            spec.commandLine().getErr().println("natsoak: " + e.getMessage());
            return 2;
        }
        if (nats != null) {
            try {
                NatsServerChoice choice = NatsServerChoice.of(nats.strip(), log);
                properties.put("natsoak.local.nats-server", choice.binary().toString());
                log.println("bench: " + choice.describe());
            } catch (LocalLauncher.LaunchException e) {
                spec.commandLine().getErr().println("natsoak: " + e.getMessage());
                return 2;
            }
        }
        BenchContext ctx = new BenchContext(java(), jar, natsServer(names), out.toAbsolutePath(), smoke, Map.copyOf(properties), log);
        Machine machine = Machine.describe(NatsCluster.findBinary(properties.getOrDefault("natsoak.local.nats-server", "nats-server")));
        boolean allPassed = true;
        List<BenchResult> results = new ArrayList<>();
        for (String name : names) {
            Scenario s = scenario(name, scaleDuration);
            CpuMeter meter = new CpuMeter(Map.of());
            double loadBefore = CpuMeter.loadAverage();
            CpuMeter.Snapshot start = meter.snapshot();
            String date = ZonedDateTime.now(ZoneOffset.UTC).format(DATE);
            Scenario.Measured m;
            try {
                m = s.run(ctx);
            } catch (BenchException | ConfigException e) {
                log.printf("natsoak: bench %s: %s%n", name, e.getMessage());
                allPassed = false;
                continue;
            } catch (Exception e) {
                // one line for the user; the logs named in the output above have the details
                log.printf("natsoak: bench %s failed: %s%n", name, String.valueOf(e).replaceAll("\\R", " "));
                allPassed = false;
                continue;
            }
            CpuUsage whole = CpuMeter.between(start, meter.snapshot());
            BenchResult r = new BenchResult(name, date, command(name), smoke, machine,
                    new BenchResult.Conditions(loadBefore, CpuMeter.loadAverage(), whole.others(), whole.underLoad()), m.figures(), m.details());
            results.add(r);
            BenchReport.print(r, log);
            log.println("written to " + BenchReport.write(r, ctx.out()));
            if (!m.passed()) {
                log.printf("natsoak: bench %s: a verdict inside the benchmark FAILED (see the figures and %s)%n", name,
                        ctx.out().resolve(name + ".json"));
                allPassed = false;
            }
        }
        if (results.size() > 1) {
            log.println();
            log.println("== all scenarios ==");
            results.forEach(r -> BenchReport.print(r, log));
        }
        return allPassed && results.size() == names.size() ? 0 : 1;
    }

    private List<String> scenarioNames() {
        if ("all".equals(scenario)) {
            return SCENARIOS;
        }
        if (!SCENARIOS.contains(scenario)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "bench: unknown scenario '" + scenario + "'; allowed: " + String.join(", ", SCENARIOS) + " or all");
        }
        return List.of(scenario);
    }

    /** Checks the numeric options; returns the scale duration (null: its default). */
    private Duration parseArguments() {
        positive("--partitions", partitions);
        positive("--kills", kills);
        positive("--publish-window", publishWindow);
        if (rate != null && !(rate > 0 && rate < 10_000_000)) {
            throw bad("--rate: " + rate + " is not valid; allowed: a rate above 0 msg/s");
        }
        if (duration == null) {
            return null;
        }
        Duration d;
        try {
            d = DurationConverter.parseDuration(duration);
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d == null || d.compareTo(Duration.ofSeconds(20)) < 0) {
            throw bad("--duration: \"" + duration + "\" is not valid; allowed: a duration of at least 20s, such as 90s, 10m, 1h");
        }
        return d;
    }

    private void positive(String option, Integer value) {
        if (value != null && value < 1) {
            throw bad(option + ": " + value + " is not valid; allowed: 1 or more");
        }
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), "bench: " + message);
    }

    private Scenario scenario(String name, Duration scaleDuration) {
        return switch (name) {
            case "raw" -> new RawScenario(partitions, new RawJetStream.Publishing(
                    publishWindow == null ? RawJetStream.Publishing.DEFAULT.window() : publishWindow, messageIds));
            case "pipeline" -> new PipelineScenario(partitions, rate);
            case "verifier" -> new VerifierScenario();
            case "recovery" -> new RecoveryScenario(kills);
            case "footprint" -> new FootprintScenario();
            case "scale" -> new ScaleScenario(rate, scaleDuration);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The exact command that reproduces one scenario's result. */
    private String command(String name) {
        List<String> words = new ArrayList<>(List.of("./natsoak", "bench", name));
        if (smoke) {
            words.add("--smoke");
        }
        if (nats != null) {
            words.add("--nats=" + nats.strip());
        }
        if (partitions != null && (name.equals("raw") || name.equals("pipeline"))) {
            words.add("--partitions=" + partitions);
        }
        if (rate != null && (name.equals("pipeline") || name.equals("scale"))) {
            words.add("--rate=" + BenchReport.format(rate).replace(",", ""));
        }
        if (duration != null && name.equals("scale")) {
            words.add("--duration=" + duration);
        }
        if (publishWindow != null && name.equals("raw")) {
            words.add("--publish-window=" + publishWindow);
        }
        if (messageIds && name.equals("raw")) {
            words.add("--message-ids");
        }
        if (kills != null && name.equals("recovery")) {
            words.add("--kills=" + kills);
        }
        properties.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> words.add("-D" + e.getKey() + "=" + e.getValue()));
        return String.join(" ", words);
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** The packaged application whose role processes the scenarios start. */
    private static Path jar() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.endsWith("quarkus-run.jar"))
                .map(p -> Path.of(p).toAbsolutePath())
                .findFirst()
                .orElseThrow(() -> new BenchException("natsoak bench must run from the packaged application (target/quarkus-app/quarkus-run.jar)"));
    }

    private String natsServer(List<String> names) throws IOException {
        String configured = properties.getOrDefault("natsoak.local.nats-server", "nats-server");
        if (names.equals(List.of("verifier"))) {
            return configured;
        }
        return NatsCluster.findBinary(configured).orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(),
                "bench: nats-server not found; install it (Debian/Ubuntu: apt-get install nats-server, or run ./natsoak local once as root)"
                        + " or set -Dnatsoak.local.nats-server=PATH"));
    }
}

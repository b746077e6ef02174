package io.natsoak.bench;

import io.natsoak.local.LocalTopology;
import io.natsoak.local.RoleProcess;
import io.natsoak.model.Report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code bench recovery}: SIGKILLs a random worker of 4 (managed by the partition manager) again
 * and again and reads the recovery durations the manager's leader logs: from the dead member's
 * last heartbeat to a message consumed on every partition it owned. Each cycle waits for the
 * recovery, starts the worker again like a Deployment would, and waits until the manager has
 * taken it back (an assignment with all 4 members) before the next kill, so kills never overlap.
 */
final class RecoveryScenario implements Scenario {

    static final int DEFAULT_KILLS = 20;
    private static final int WORKERS = 4;
    private static final Pattern RECOVERED = Pattern.compile("recovered from the departure of \\S+ \\(emergency, (\\d+) partitions\\) in (\\d+) ms");
    private static final Pattern REJOINED = Pattern.compile("published assignment version \\d+ \\(\\S+, " + WORKERS + " members");
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);

    private final int kills;

    RecoveryScenario(Integer kills) {
        this.kills = kills == null ? DEFAULT_KILLS : kills;
    }

    @Override
    public String name() {
        return "recovery";
    }

    @Override
    public Measured run(BenchContext ctx) throws Exception {
        int n = ctx.size(kills, 1);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("natsoak.partitions.count", "50");
        settings.put("natsoak.partitions.rate", "5");
        settings.put("natsoak.producer.count", "2");
        settings.put("natsoak.worker.count", Integer.toString(WORKERS));
        settings.put("natsoak.worker.assignment", "weighted-consistent-hash");
        settings.put("natsoak.duration", "0");
        settings.put("natsoak.verifier.validation-window", "30s");
        Random random = new Random(42);
        List<Long> millis;
        Report report;
        LocalTopology t = ctx.topology("recovery", settings);
        try (t) {
            ctx.say("recovery: starting NATS, the verifier, %d managed workers and 2 producers", WORKERS);
            t.start();
            BenchContext.await(Duration.ofMinutes(4), "the first verified messages (logs: " + t.logs() + ")",
                    () -> t.liveReport().map(r -> r.verified() > 100).orElse(false));
            BenchContext.await(STEP_TIMEOUT, "the first assignment with all " + WORKERS + " workers", () -> count(t, REJOINED) > 0);
            for (int i = 1; i <= n; i++) {
                RoleProcess victim = t.workers().get(random.nextInt(WORKERS));
                List<Long> before = durations(t);
                victim.kill();
                BenchContext.await(STEP_TIMEOUT, "the recovery from killing " + victim.name(), () -> durations(t).size() > before.size());
                int assignments = count(t, REJOINED);
                victim.start();
                BenchContext.await(STEP_TIMEOUT, victim.name() + " to rejoin after its restart", () -> count(t, REJOINED) > assignments);
                ctx.say("recovery: kill %d of %d (%s): %s ms", i, n, victim.name(), added(before, durations(t)));
            }
            millis = durations(t);
            report = t.finish().orElseThrow(() -> new BenchException("the verifier wrote no report (log " + t.verifier().log() + ")"));
        } finally {
            ctx.discard(t);
        }
        Collections.sort(millis);
        String limit = "the detection bound: natsoak.worker.heartbeat-ttl + emergency-grace (5 s + 1 s by default)";
        List<Figure> figures = List.of(
                Figure.of("worker SIGKILLs (50 partitions, 4 workers, 250 msg/s)", n, "kills"),
                Figure.of("recoveries measured", millis.size(), "recoveries"),
                Figure.of("recovery p50", percentile(millis, 50) / 1000.0, "s").limit(limit),
                Figure.of("recovery p99", percentile(millis, 99) / 1000.0, "s").goal("< 8").limit(limit),
                Figure.of("recovery max", millis.isEmpty() ? 0 : millis.get(millis.size() - 1) / 1000.0, "s"),
                Figure.of("gaps (lost messages)", report.gaps(), "messages").goal("0"),
                Figure.of("unexplained duplicates", report.duplicates().unexplained(), "messages").goal("0"),
                Figure.of("redelivered duplicates", report.duplicates().redelivered(), "messages"));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("recoveryMillis", millis);
        details.put("verdict", report.verdict());
        details.put("reasons", report.reasons());
        return new Measured(figures, details, report.passed() && millis.size() == n);
    }

    private static int count(LocalTopology t, Pattern pattern) {
        int n = 0;
        for (String line : workerLogLines(t)) {
            if (pattern.matcher(line).find()) {
                n++;
            }
        }
        return n;
    }

    /** Every recovery the leaders logged, in milliseconds, in log order. */
    private static List<Long> durations(LocalTopology t) {
        List<Long> out = new ArrayList<>();
        for (String line : workerLogLines(t)) {
            Matcher m = RECOVERED.matcher(line);
            if (m.find()) {
                out.add(Long.parseLong(m.group(2)));
            }
        }
        return out;
    }

    private static List<String> workerLogLines(LocalTopology t) {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> logs = Files.list(t.logs())) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("worker")).sorted().toList()) {
                lines.addAll(Files.readAllLines(log, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException e) {
            throw new BenchException("cannot read the worker logs in " + t.logs() + ": " + e.getMessage());
        }
        return lines;
    }

    /** The durations in {@code after} that were not in {@code before} (logs of several workers: no global order). */
    private static List<Long> added(List<Long> before, List<Long> after) {
        List<Long> fresh = new ArrayList<>(after);
        before.forEach(fresh::remove);
        return fresh;
    }

    static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}

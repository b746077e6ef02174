package io.natsoak.bench;

import io.natsoak.local.LocalTopology;
import io.natsoak.local.RoleProcess;
import io.natsoak.testing.ProcessSoak;
import io.natsoak.verifier.Report;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Recovery after worker crashes, measured (not a test: no timed assertion, and not part of the
 * suite; its name matches neither *Test nor *IT). Run it with
 * {@code ./mvnw -B verify -Dit.test=RecoveryBenchmark -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dbench.kills=20}.
 * SIGKILLs a random worker of 4 every cycle, restarts it after a few seconds like a Deployment,
 * and reads the partition manager's "recovered from the departure" log lines: from the dead
 * member's last heartbeat to a message consumed on every partition it owned.
 */
class RecoveryBenchmark {

    private static final Pattern RECOVERED = Pattern.compile("recovered from the departure of \\S+ \\(emergency, (\\d+) partitions\\) in (\\d+) ms");

    @Test
    void recoveryAfterWorkerKills() throws Exception {
        int kills = Integer.getInteger("bench.kills", 20);
        Random random = new Random(42);
        try (LocalTopology t = new ProcessSoak("recovery")
                .set("natsoak.partitions.count", "50").set("natsoak.partitions.rate", "5")
                .set("natsoak.producer.count", "2").set("natsoak.worker.count", "4")
                .set("natsoak.duration", "0").set("natsoak.verifier.validation-window", "30s")
                .topology()) {
            t.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> t.liveReport().map(Report::verified).orElse(0L) > 500);
            for (int i = 0; i < kills; i++) {
                RoleProcess victim = t.workers().get(random.nextInt(t.workers().size()));
                victim.kill();
                Thread.sleep(10_000);
                victim.start();
                Thread.sleep(5_000);
            }
            Thread.sleep(5_000);
            List<Long> millis = new ArrayList<>();
            try (Stream<Path> logs = Files.list(t.logs())) {
                for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("worker")).toList()) {
                    for (String line : Files.readAllLines(log)) {
                        Matcher m = RECOVERED.matcher(line);
                        if (m.find()) {
                            millis.add(Long.parseLong(m.group(2)));
                        }
                    }
                }
            }
            Collections.sort(millis);
            Report r = t.finish().orElseThrow();
            System.out.printf("RECOVERY kills=%d measured=%d p50=%d ms p99=%d ms max=%d ms all=%s verdict=%s gaps=%d unexplained=%d%n",
                    kills, millis.size(), percentile(millis, 50), percentile(millis, 99), millis.isEmpty() ? 0 : millis.get(millis.size() - 1),
                    millis, r.verdict(), r.gaps(), r.duplicates().unexplained());
            assertThat(millis).as("recoveries measured").isNotEmpty();
        }
    }

    private static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}

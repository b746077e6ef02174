package io.natsoak.observability;

import io.natsoak.local.LocalPrometheus;
import io.natsoak.local.LocalTopology;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus scraping a real local run, for tests: the same {@link LocalPrometheus} that
 * {@code ./natsoak local --prometheus} runs, with the repository's rules file, a short interval and
 * any free port.
 */
public final class Scraping {

    /** Where scripts/install-test-deps puts it (Debian package prometheus). */
    public static final Path BINARY = Path.of("/usr/bin/prometheus");

    private Scraping() {
    }

    /** Starts Prometheus on the topology's processes and waits until every one of them has been scraped. */
    public static LocalPrometheus start(LocalTopology t, Duration interval) throws Exception {
        assertThat(BINARY).as("the Debian package prometheus (scripts/install-test-deps)").isExecutable();
        LocalPrometheus p = new LocalPrometheus(BINARY, ProjectFiles.path(ProjectFiles.RULES), t.workDir().resolve("prometheus"),
                t.logs(), interval, 0, t::processes);
        p.start();
        PrometheusApi api = new PrometheusApi(p.url());
        int targets = t.processes().size();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> api.query("sum(up{job=\"" + LocalPrometheus.JOB + "\"})").path(0).path("value").path(1).asDouble() == targets);
        return p;
    }

    /** Stops it and checks that its process is gone. */
    public static void stop(LocalPrometheus p) {
        if (p == null) {
            return;
        }
        long pid = p.pid();
        p.stop();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("Prometheus (pid %d) still running after stop", pid)
                .isFalse();
    }
}

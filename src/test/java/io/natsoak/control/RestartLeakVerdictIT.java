package io.natsoak.control;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.model.Report;
import io.natsoak.resources.ResourceSampler;
import io.natsoak.resources.RestartLedger;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.Soak;
import io.natsoak.verifier.VerifierService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leak per in-place restart, judged the whole way: restarts through the real control plane
 * (NATS request/reply), the control server's measurement of each one, the resource samples
 * published over NATS, and the real verifier's live verdict. A component built like the
 * incident (start without a guard against its own loop, a stop that forgets it) fails the verdict
 * after a few restarts, naming the component; the same component done right passes.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RestartLeakVerdictIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(1);

    private static final int RESTARTS = 4;

    /** The incident: every start adds a loop ({@link UnguardedLoop}), stop forgets it. Named "worker", so are its threads. */
    private static final class IncidentWorker extends GuardedComponent {
        final UnguardedLoop loop = new UnguardedLoop();

        IncidentWorker() {
            super("worker");
        }

        @Override
        protected void doStart() {
            loop.start();
        }

        @Override
        protected void doStop() {
            loop.stop();
        }
    }

    /** The same loop with a stop that ends and joins it. */
    private static final class GuardedWorker extends GuardedComponent {
        private Thread loop;
        private CountDownLatch end;

        GuardedWorker() {
            super("worker");
        }

        @Override
        protected void doStart() {
            end = new CountDownLatch(1);
            CountDownLatch mine = end;
            loop = new NamedThreads("worker", "guarded-loop").newThread(() -> {
                try {
                    mine.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            loop.start();
        }

        @Override
        protected void doStop() {
            if (end != null) {
                end.countDown();
            }
            if (loop != null) {
                try {
                    loop.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static Report.RestartLeaks restartAndJudge(String run, GuardedComponent target) throws Exception {
        try (Soak soak = new Soak(nats, run).set("natsoak.duration", "0").set("natsoak.nats.replicas", "1")
                .set("natsoak.resources.sample-interval", "500ms").set("natsoak.resources.restart-settle", "500ms");
             Connection client = Nats.connect(nats.urls().get(0))) {
            VerifierService verifier = soak.startVerifier();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            RestartLedger ledger = new RestartLedger(soak.config().resources().restartWindow(), registry);
            ControlServer control = new ControlServer(soak.config(), "worker", "worker-7", Map.of(target.name(), target),
                    new LeakCanary(false), registry, ledger);
            ResourceSampler sampler = new ResourceSampler(soak.config(), "worker", "worker-7", registry, Clock.systemUTC(), () -> true, ledger);
            target.start();
            control.start();
            sampler.start();
            try {
                ControlClient restarts = new ControlClient(client, new ControlSender("chaos", "test"));
                for (int i = 1; i <= RESTARTS; i++) {
                    byte[] reply = restarts.request(control.instanceSubject(), "{\"command\":\"restart\"}".getBytes(), Duration.ofSeconds(30));
                    assertThat(new String(reply)).contains("\"ok\":true");
                    int measured = i;
                    // the next restart only once this one was measured: each is judged on its own
                    await().atMost(Duration.ofSeconds(20)).until(() -> ledger.stats().containsKey("worker")
                            && ledger.stats().get("worker").settled() == measured);
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    Report r = verifier.report();
                    return r.resources().containsKey("worker") && r.resources().get("worker").restarts().containsKey("worker")
                            && r.resources().get("worker").restarts().get("worker").restarts() == RESTARTS;
                });
                Report live = verifier.report();
                Report.RestartLeaks leaks = live.resources().get("worker").restarts().get("worker");
                if (leaks.crossed()) {
                    assertThat(live.verdict()).isEqualTo(Report.FAIL);
                    assertThat(live.reasons()).contains("in-place restarts of worker in worker-7 left threads behind " + leaks.leaky()
                            + " times in the last " + RESTARTS + " (" + (leaks.threadsPerRestart() == Math.rint(leaks.threadsPerRestart())
                            ? String.valueOf((long) leaks.threadsPerRestart()) : String.valueOf(leaks.threadsPerRestart()))
                            + " threads per restart), limit: fewer than 3");
                } else {
                    assertThat(live.reasons()).noneMatch(r -> r.startsWith("in-place restarts"));
                }
                return leaks;
            } finally {
                sampler.stop();
                control.stop();
                target.stop();
                verifier.stop();
            }
        }
    }

    @Test
    void aComponentThatStartsAnotherLoopAtEveryRestartFailsTheLiveVerdictNamingIt() throws Exception {
        IncidentWorker incident = new IncidentWorker();
        try {
            Report.RestartLeaks leaks = restartAndJudge("restartleak", incident);
            assertThat(leaks.crossed()).as(leaks.toString()).isTrue();
            assertThat(leaks.instance()).isEqualTo("worker-7");
            assertThat(leaks.leaky()).isGreaterThanOrEqualTo(3);
            assertThat(leaks.threadsPerRestart()).isGreaterThanOrEqualTo(0.75);
        } finally {
            incident.loop.releaseForCleanup();
        }
    }

    @Test
    void theSameComponentWhoseStopEndsItsLoopPasses() throws Exception {
        Report.RestartLeaks leaks = restartAndJudge("restartclean", new GuardedWorker());
        assertThat(leaks.crossed()).as(leaks.toString()).isFalse();
        assertThat(leaks.leaky()).isLessThan(3);
    }
}

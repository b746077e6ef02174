package io.natsoak.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.metrics.ThreadCensus;
import io.natsoak.model.Json;
import io.natsoak.model.Report;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.producer.ProducerService;
import io.natsoak.testing.LeakCheck;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.Soak;
import io.natsoak.verifier.VerifierService;
import io.natsoak.worker.WorkerService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The incident natsoak exists for: restarts that start another copy of a component's loops.
 * Every component is restarted hundreds of times through the real control plane (NATS
 * request/reply) under load, and its threads must come back to their baseline.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class LifecycleLeakIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    /** Request/reply as the chaos operator would send it ("no responders" is retried by the client). */
    private static JsonNode request(Connection c, String subject, String json) throws Exception {
        return Json.MAPPER.readTree(requestBytes(c, subject, json.getBytes(), Duration.ofSeconds(60)));
    }

    private static byte[] requestBytes(Connection c, String subject, byte[] body, Duration timeout) throws Exception {
        return new ControlClient(c, new ControlSender("chaos", "test")).request(subject, body, timeout);
    }

    private static ControlServer control(Soak soak, String role, String instance, GuardedComponent target, LeakCanary canary)
            throws Exception {
        ControlServer cs = new ControlServer(soak.config(), role, instance, Map.of(target.name(), target), canary, new SimpleMeterRegistry());
        cs.start();
        return cs;
    }

    @Test
    void hundredsOfInPlaceRestartsUnderLoadLeakNoThreadAndLoseNoMessage() throws Exception {
        try (Soak soak = new Soak(nats, "restarts")
                .set("natsoak.partitions.count", "4").set("natsoak.partitions.rate", "25")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "1")
                .set("natsoak.duration", "0").set("natsoak.verifier.validation-window", "5s")
                // The worker runs its partition manager (its threads are in the census too), tuned
                // so a leave and re-join rebalance at once: hundreds of restarts fit in minutes.
                .set("natsoak.worker.assignment", "weighted-consistent-hash")
                .set("natsoak.worker.heartbeat-ttl", "2s").set("natsoak.worker.heartbeat-interval", "250ms")
                .set("natsoak.worker.rebalance-window", "0s").set("natsoak.worker.min-rebalance-interval", "0s")
                .set("natsoak.worker.cold-start", "0s").set("natsoak.worker.emergency-grace", "200ms");
             Connection client = Nats.connect(nats.urls().get(0))) {
            VerifierService verifier = soak.startVerifier();
            WorkerService worker = soak.startWorker(0);
            ProducerService producer = soak.startProducer(0);
            LeakCanary off = new LeakCanary(false);
            List<ControlServer> controls = List.of(control(soak, "verifier", "verifier", verifier, off),
                    control(soak, "worker", "worker-0", worker, off), control(soak, "producer", "producer-0", producer, off));
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> verifier.report().verified() > 50);
                // One restart of each and one disconnect before the baseline, so threads that are
                // created lazily on first use (a scheduler's first thread) are already counted.
                for (ControlServer cs : controls) {
                    assertThat(request(client, cs.instanceSubject(), "{\"command\":\"restart\"}").get("ok").asBoolean()).isTrue();
                }
                disconnectAndAwait(client, controls.get(1), worker);
                LeakCheck check = LeakCheck.baseline();

                for (ControlServer cs : controls) {
                    for (int i = 0; i < 200; i++) {
                        JsonNode r = request(client, cs.instanceSubject(), "{\"command\":\"restart\"}");
                        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
                    }
                }
                for (int i = 0; i < 50; i++) {
                    disconnectAndAwait(client, controls.get(1), worker);
                }
                check.assertNoThreadGrowth();
                check.assertHeapWithinBound();
                assertThat(worker.ignoredStarts()).isZero();

                long before = verifier.report().verified();
                await().atMost(Duration.ofSeconds(30)).until(() -> verifier.report().verified() > before + 50);
            } finally {
                controls.forEach(ControlServer::stop);
            }
            producer.stop();
            verifier.concludeNow();
            Report r = verifier.verdict().get(60, TimeUnit.SECONDS);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
        }
    }

    private static void disconnectAndAwait(Connection client, ControlServer cs, GuardedComponent target) throws Exception {
        JsonNode r = request(client, cs.instanceSubject(), "{\"command\":\"disconnect\",\"seconds\":1}");
        assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> target.state() == GuardedComponent.State.RUNNING);
    }

    @Test
    void theLeakCheckFailsForAComponentWithoutAStartGuard() throws Exception {
        UnguardedLoop unguarded = new UnguardedLoop();
        LeakCheck check = LeakCheck.baseline();
        for (int i = 0; i < 20; i++) {
            unguarded.stop();
            unguarded.start();
        }
        try {
            assertThatThrownBy(check::assertNoThreadGrowth).isInstanceOf(AssertionError.class).hasMessageContaining("threads of worker");
        } finally {
            unguarded.releaseForCleanup();
        }
    }

    @Test
    void concurrentStartsStartOneCopy() throws Exception {
        try (Soak soak = new Soak(nats, "concurrent").set("natsoak.partitions.count", "4").set("natsoak.worker.count", "1")) {
            Map<String, Integer> before = ThreadCensus.count();
            WorkerService worker = new WorkerService(soak.config(), 0, new SimpleMeterRegistry(), Clock.systemUTC());
            ExecutorService pool = Executors.newFixedThreadPool(16);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> starts = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                starts.add(pool.submit(() -> {
                    go.await();
                    return worker.start();
                }));
            }
            go.countDown();
            int started = 0;
            for (Future<Boolean> f : starts) {
                started += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
            }
            pool.shutdown();
            assertThat(started).isEqualTo(1);
            assertThat(worker.ignoredStarts()).isEqualTo(15);
            int running = ThreadCensus.count().get("worker") - before.get("worker");
            worker.stop();
            WorkerService single = new WorkerService(soak.config(), 0, new SimpleMeterRegistry(), Clock.systemUTC());
            single.start();
            int singleThreads = ThreadCensus.count().get("worker") - before.get("worker");
            single.stop();
            assertThat(running).as("threads of 16 concurrent starts == threads of one start").isEqualTo(singleThreads);
            await().atMost(Duration.ofSeconds(10)).until(() -> ThreadCensus.count().get("worker").equals(before.get("worker")));
        }
    }

    /**
     * The control plane starts its threads with itself: threads that only appeared on the chaos
     * operator's first command (a disconnect needs the timer) were counted as growth against the
     * process' thread baseline.
     */
    @Test
    void theControlPlaneHasAllItsThreadsBeforeTheFirstCommand() throws Exception {
        Soak soak = new Soak(nats, "eager");
        GuardedComponent idle = new GuardedComponent("idle") {
            @Override
            protected void doStart() {
            }

            @Override
            protected void doStop() {
            }
        };
        idle.start();
        ControlServer cs = control(soak, "worker", "worker-eager", idle, new LeakCanary(false));
        try (Connection client = Nats.connect(nats.urls().get(0))) {
            int before = ThreadCensus.count().get("control");
            assertThat(request(client, cs.instanceSubject(), "{\"command\":\"status\"}").get("ok").asBoolean()).isTrue();
            disconnectAndAwait(client, cs, idle);
            // Bounded wait for jnats threads that may be finishing; the control's own threads stay.
            await().atMost(Duration.ofSeconds(30)).until(() -> ThreadCensus.count().get("control") <= before);
            assertThat(ThreadCensus.count().get("control")).isEqualTo(before);
        } finally {
            cs.stop();
            idle.stop();
        }
    }

    @Test
    void closingAConnectionLeavesNoJnatsThreadBehind() throws Exception {
        Soak soak = new Soak(nats, "close");
        int before = ThreadCensus.count().get("control");
        for (int i = 0; i < 20; i++) {
            OwnedConnection link = OwnedConnection.open(soak.config().nats(), "control", "probe", new SimpleMeterRegistry(), Duration.ofSeconds(10));
            var d = link.connection().createDispatcher(m -> { });
            d.subscribe("probe.subject");
            link.connection().publish("nowhere." + i, new byte[0]);
            link.connection().flush(Duration.ofSeconds(5));
            assertThat(ThreadCensus.count().get("control")).as("jnats threads are named after their owner").isGreaterThan(before);
            link.close();
        }
        assertThat(ThreadCensus.count().get("control")).as("no control-nats thread survives close").isEqualTo(before);
    }

    @Test
    void theLeakCanaryLeaksWhatItIsAskedAndStopsWhenTold() throws Exception {
        try (Soak soak = new Soak(nats, "canary"); Connection client = Nats.connect(nats.urls().get(0))) {
            WorkerService idle = new WorkerService(soak.config(), 0, new SimpleMeterRegistry(), Clock.systemUTC());
            ControlServer enabled = control(soak, "worker", "canary-on", idle, new LeakCanary(true));
            ControlServer disabled = control(soak, "verifier", "canary-off", idle, new LeakCanary(false));
            try {
                JsonNode refused = request(client, disabled.instanceSubject(), "{\"command\":\"leak\",\"threadsPerMinute\":600}");
                assertThat(refused.get("ok").asBoolean()).isFalse();
                assertThat(refused.get("error").asText()).contains("disabled");

                int before = ThreadCensus.count().get("canary");
                JsonNode started = request(client, enabled.instanceSubject(), "{\"command\":\"leak\",\"threadsPerMinute\":1200}");
                assertThat(started.get("ok").asBoolean()).as(started.toString()).isTrue();
                await().atMost(Duration.ofSeconds(10)).until(() -> ThreadCensus.count().get("canary") >= before + 40);
                JsonNode stopped = request(client, enabled.instanceSubject(), "{\"command\":\"leak-stop\"}");
                assertThat(stopped.get("ok").asBoolean()).isTrue();
                assertThat(stopped.get("threadsBefore").asInt()).isGreaterThan(stopped.get("threadsAfter").asInt() + 30);
                await().atMost(Duration.ofSeconds(10)).until(() -> ThreadCensus.count().get("canary") == before);
            } finally {
                enabled.stop();
                disabled.stop();
            }
        }
    }

    @Test
    void malformedAndHostileControlMessagesGetErrorRepliesAndNothingCrashes() throws Exception {
        try (Soak soak = new Soak(nats, "hostile"); Connection client = Nats.connect(nats.urls().get(0))) {
            WorkerService idle = new WorkerService(soak.config(), 0, new SimpleMeterRegistry(), Clock.systemUTC());
            ControlServer cs = control(soak, "worker", "target", idle, new LeakCanary(false));
            try {
                java.util.Random random = new java.util.Random(7);
                List<byte[]> hostile = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    byte[] junk = new byte[1 + random.nextInt(500)];
                    random.nextBytes(junk);
                    hostile.add(junk);
                }
                hostile.add("{\"command\":".getBytes());
                hostile.add("[1,2,3]".getBytes());
                hostile.add("{\"command\":\"explode\"}".getBytes());
                hostile.add("{\"command\":\"restart\",\"component\":\"nosuch\"}".getBytes());
                hostile.add("{\"command\":\"disconnect\",\"seconds\":\"soon\"}".getBytes());
                hostile.add("{\"command\":\"disconnect\",\"seconds\":99999}".getBytes());
                hostile.add("{\"command\":\"status\",\"extra\":1}".getBytes());
                hostile.add(("{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}").getBytes());
                hostile.add(new byte[200_000]);
                request(client, cs.instanceSubject(), "{\"command\":\"status\"}");
                for (byte[] payload : hostile) {
                    JsonNode r = Json.MAPPER.readTree(requestBytes(client, cs.instanceSubject(), payload, Duration.ofSeconds(10)));
                    assertThat(r.get("ok").asBoolean()).isFalse();
                    assertThat(r.get("error").asText()).isNotBlank();
                }
                client.publish(cs.instanceSubject(), "{\"command\":\"status\"}".getBytes());
                JsonNode status = request(client, cs.instanceSubject(), "{\"command\":\"status\"}");
                assertThat(status.get("ok").asBoolean()).isTrue();
                assertThat(status.get("detail").get("threads").has("control")).isTrue();
                JsonNode dump = request(client, cs.instanceSubject(), "{\"command\":\"threaddump\"}");
                assertThat(dump.get("detail").get("byStack").size()).isPositive();
                assertThat(cs.state()).isEqualTo(GuardedComponent.State.RUNNING);
            } finally {
                cs.stop();
            }
        }
    }
}

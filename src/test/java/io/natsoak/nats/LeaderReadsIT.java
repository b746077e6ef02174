package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.natsoak.model.Report;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.Soak;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Reads that decide a starting point go to the stream leader, never to a direct get that any
 * replica (a lagging one too) may answer. A plain subscriber on the API subjects sees every
 * request sent to them without answering any, so it shows which kind of read was made.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LeaderReadsIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    @Test
    void aKvGetIsADirectGetWhileLeaderReadsAskTheStreamLeader() throws Exception {
        String bucket = nats.uniqueName("leader_reads");
        try (Connection c = Nats.connect(nats.urls().get(0)); Connection other = Nats.connect(nats.urls().get(2));
             ApiSpy spy = new ApiSpy(c, Set.of(bucket))) {
            c.keyValueManagement().create(KeyValueConfiguration.builder().name(bucket).replicas(3).maxHistoryPerKey(1).build());
            KeyValue kv = other.keyValue(bucket);
            kv.put("k", "first");
            long revision = kv.put("k", "second");

            // The hazard: jnats' own get is a direct get (the spy is also ready once it sees it).
            assertThat(new String(kv.get("k").getValue(), StandardCharsets.UTF_8)).isEqualTo("second");
            await().atMost(Duration.ofSeconds(10)).until(() -> !spy.direct.isEmpty());
            spy.clear();

            Optional<KeyValueEntry> entry = LeaderReads.kvEntry(other, bucket, "k");
            assertThat(entry).isPresent();
            assertThat(entry.get().getValueAsString()).isEqualTo("second");
            assertThat(entry.get().getRevision()).isEqualTo(revision);
            assertThat(LeaderReads.kvEntry(other, bucket, "never-written")).isEmpty();
            assertThatThrownBy(() -> LeaderReads.lastMessage(other, bucket + "_MISSING", "x"))
                    .isInstanceOf(JetStreamApiException.class).hasMessageContaining("stream not found");

            await().atMost(Duration.ofSeconds(10)).until(() -> spy.leader.size() == 2);
            assertThat(spy.direct).as("direct gets").isEmpty();
        }
    }

    @Test
    void workersClaimPositionsAndProducersResumeFromTheLeader() throws Exception {
        try (Soak soak = new Soak(nats, "leader_claims")
                .set("natsoak.partitions.count", "2").set("natsoak.partitions.rate", "10")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "1").set("natsoak.worker.assignment", "static")
                .set("natsoak.duration", "4s").set("natsoak.verifier.validation-window", "3s")) {
            Names names = new Names(soak.runId());
            try (Connection c = Nats.connect(nats.urls().get(1)); Connection other = Nats.connect(nats.urls().get(2));
                 ApiSpy spy = new ApiSpy(c, Set.of(names.positionsBucket(), names.marksBucket()))) {
                soak.startVerifier(); // provisions the buckets
                // The spy is ready once it sees a direct get made through another server.
                other.keyValue(names.marksBucket()).get("ready");
                await().atMost(Duration.ofSeconds(10)).until(() -> !spy.direct.isEmpty());
                spy.clear();

                soak.startWorkers(); // claims partitions 0 and 1: reads their positions
                soak.startProducers(); // resumes: reads its predecessor's marks
                Report r = soak.awaitVerdict(90);
                assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo(Report.PASS);

                // two position claims and one marks read, whichever way they were made
                await().atMost(Duration.ofSeconds(10)).until(() -> spy.leader.size() + spy.direct.size() >= 3);
                assertThat(spy.direct).as("direct gets of positions or marks, which a lagging replica may answer").isEmpty();
                assertThat(spy.leader).as("leader reads").anyMatch(s -> s.endsWith("KV_" + names.positionsBucket()))
                        .anyMatch(s -> s.endsWith("KV_" + names.marksBucket()));
            }
        }
    }

    /** Records every request on the buckets' direct-get and leader-get subjects; answers none. */
    private static final class ApiSpy implements AutoCloseable {
        final ConcurrentLinkedQueue<String> direct = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> leader = new ConcurrentLinkedQueue<>();
        private final Connection connection;
        private final Dispatcher dispatcher;

        ApiSpy(Connection connection, Set<String> buckets) throws Exception {
            this.connection = connection;
            this.dispatcher = connection.createDispatcher();
            for (String bucket : buckets) {
                for (String subject : List.of("$JS.API.DIRECT.GET.KV_" + bucket, "$JS.API.DIRECT.GET.KV_" + bucket + ".>")) {
                    dispatcher.subscribe(subject, m -> direct.add(m.getSubject()));
                }
                dispatcher.subscribe(LeaderReads.MSG_GET + "KV_" + bucket, m -> leader.add(m.getSubject()));
            }
            connection.flush(Duration.ofSeconds(5));
        }

        void clear() {
            direct.clear();
            leader.clear();
        }

        @Override
        public void close() {
            connection.closeDispatcher(dispatcher);
        }
    }
}

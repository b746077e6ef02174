package io.natsoak.verifier;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.Component;
import io.natsoak.model.Json;
import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.model.Report;
import io.natsoak.nats.Names;
import io.natsoak.nats.Provisioner;
import io.natsoak.testing.NatsClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The checkpoint stream and the verifier's restore, against a real 3-node JetStream cluster. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class VerifierCheckpointIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    private final List<VerifierService> verifiers = new ArrayList<>();
    private Connection connection;

    @AfterEach
    void tearDown() throws Exception {
        for (VerifierService v : verifiers) {
            v.stop();
        }
        if (connection != null) {
            connection.close();
        }
    }

    private NatsoakConfig config(String run, int partitions, String checkpointInterval) {
        Map<String, String> s = new HashMap<>();
        s.put("natsoak.run-id", run);
        s.put("natsoak.role", "verifier");
        s.put("natsoak.nats.urls", String.join(",", nats.urls()));
        s.put("natsoak.partitions.count", Integer.toString(partitions));
        s.put("natsoak.producer.count", "1");
        s.put("natsoak.duration", "0s"); // until stopped: the verdict is never decided, the live report is read
        s.put("natsoak.verifier.report-interval", "500ms");
        s.put("natsoak.verifier.checkpoint-interval", checkpointInterval);
        return ConfigLoader.fromMap(s);
    }

    private CheckpointStore store(NatsoakConfig config) throws Exception {
        connection = connection != null ? connection : Nats.connect(String.join(",", nats.urls()));
        Names names = new Names(config.runId());
        new Provisioner(connection, names, config.nats()).ensureAllPatiently();
        new Provisioner(connection, names, config.nats()).ensureCheckpointStream();
        return new CheckpointStore(connection, names);
    }

    private VerifierService verifier(NatsoakConfig config) {
        VerifierService v = new VerifierService(config, new SimpleMeterRegistry(), Clock.systemUTC(), r -> { });
        verifiers.add(v);
        return v;
    }

    @Test
    void theNewestCheckpointIsReadBackAndOnlyItIsKept() throws Exception {
        CheckpointStore store = store(config(nats.uniqueName("keep"), 1, "2s"));
        assertThat(store.read()).isEmpty();
        store.write(new byte[] {1, 2, 3});
        store.write(new byte[] {4, 5});
        assertThat(store.read()).hasValueSatisfying(b -> assertThat(b).containsExactly(4, 5));
        assertThat(messages(store)).isEqualTo(1);
    }

    @Test
    void aCheckpointLargerThanTheMaxPayloadIsStoredInChunks() throws Exception {
        CheckpointStore store = store(config(nats.uniqueName("chunks"), 1, "2s"));
        byte[] big = new byte[(int) connection.getMaxPayload() * 2 + 12_345];
        new Random(1).nextBytes(big);
        store.write(new byte[] {9});
        store.write(big);
        assertThat(store.read()).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
        assertThat(messages(store)).as("chunks of the newest checkpoint only").isGreaterThan(2);
    }

    @Test
    void aTornWriteIsPassedOverForThePreviousCompleteCheckpoint() throws Exception {
        NatsoakConfig config = config(nats.uniqueName("torn"), 1, "2s");
        CheckpointStore store = store(config);
        store.write(new byte[] {7, 7, 7});
        // A crash after the first of two chunks: nothing purged, the chunk left behind.
        Headers h = new Headers().put(CheckpointStore.ID_HEADER, "torn").put(CheckpointStore.CHUNK_HEADER, "0/2");
        connection.jetStream().publish(NatsMessage.builder().subject(new Names(config.runId()).checkpointSubject()).headers(h)
                .data(new byte[] {1}).build());
        assertThat(store.read()).hasValueSatisfying(b -> assertThat(b).containsExactly(7, 7, 7));
    }

    @Test
    void somethingElseInTheCheckpointStreamIsRefused() throws Exception {
        NatsoakConfig config = config(nats.uniqueName("foreign"), 1, "2s");
        CheckpointStore store = store(config);
        connection.jetStream().publish(new Names(config.runId()).checkpointSubject(), "hello".getBytes());
        assertThatThrownBy(store::read).isInstanceOf(CheckpointException.class).hasMessageContaining("is not a checkpoint chunk");
    }

    /**
     * The fault: a damaged checkpoint. Starting empty would report everything verified before as
     * lost; the verifier refuses to start instead, with one line that says why and what to do.
     */
    @Test
    void aVerifierRefusesToStartOnADamagedCheckpoint() throws Exception {
        NatsoakConfig config = config(nats.uniqueName("damaged"), 2, "2s");
        byte[] good = checkpointOf(config.runId(), 2);
        byte[] damaged = good.clone();
        damaged[damaged.length / 2] ^= 0x21;
        store(config).write(damaged);
        VerifierService v = verifier(config);
        assertThatThrownBy(v::start).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("the verifier checkpoint in stream " + new Names(config.runId()).checkpointStream() + " cannot be used: it is damaged")
                .hasMessageContaining("refusing to start")
                .hasMessageContaining("nats stream purge")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(v.state()).isEqualTo(Component.State.STOPPED);
    }

    @Test
    void aVerifierRefusesACheckpointOfAnotherShapeOfRun() throws Exception {
        NatsoakConfig config = config(nats.uniqueName("shape"), 4, "2s");
        store(config).write(checkpointOf(config.runId(), 3));
        assertThatThrownBy(verifier(config)::start).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("with 3 partitions and 1 producers; this verifier checks run");
    }

    /**
     * Exactly once across a crash: the last checkpoint is older than what the crashed verifier
     * had applied, so the next one reads those batches again and must count each once.
     */
    @Test
    void aVerifierRestoresItsCheckpointAndAppliesEveryLaterBatchExactlyOnce() throws Exception {
        NatsoakConfig config = config(nats.uniqueName("resume"), 2, "1h"); // checkpoints only when stopped gracefully
        CheckpointStore store = store(config);
        Names names = new Names(config.runId());
        connection.keyValue(names.marksBucket()).put(Names.producerKey(0),
                Json.write(new ProducerMarks(0, 0, false, Map.of(0, 100L, 1, 100L))));
        VerifierService first = verifier(config);
        first.start();
        publishBatches(names, 1, 50);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.report().verified() == 100);
        first.stop(); // writes a checkpoint: position = 10 batches
        assertThat(Checkpoint.decode(store.read().orElseThrow()).receiptsPosition()).isEqualTo(10);
        first.start(); // an in-place restart keeps its state in memory
        publishBatches(names, 51, 100);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.report().verified() == 200);
        first.abort(); // a crash: no last checkpoint, the 10 newer batches are only in its memory

        VerifierService second = verifier(config);
        second.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> second.report().verified() == 200);
        Report r = second.report();
        assertThat(r.received()).as("every receipt counted once").isEqualTo(200);
        assertThat(r.published()).isEqualTo(200);
        assertThat(r.duplicates()).isEqualTo(new Report.Duplicates(0, 0));
        assertThat(r.gaps()).isZero();
    }

    /** Ten receipts per batch, for sequences {@code from..to} of partitions 0 and 1. */
    private void publishBatches(Names names, long from, long to) throws Exception {
        for (long s = from; s <= to; s += 5) {
            List<Receipt> receipts = new ArrayList<>();
            for (long q = s; q < s + 5; q++) {
                receipts.add(new Receipt(0, q, 1, 1_000));
                receipts.add(new Receipt(1, q, 1, 1_000));
            }
            connection.jetStream().publish(names.receiptsSubject(), new ReceiptBatch("w", receipts).encode());
        }
    }

    private static byte[] checkpointOf(String runId, int partitions) {
        Verification v = new Verification(partitions, 1, Duration.ofSeconds(10), System::nanoTime);
        v.onReceipt(new Receipt(0, 1, 1, 10));
        return new Checkpoint(runId, System.currentTimeMillis(), 1, v.snapshot()).encode();
    }

    private long messages(CheckpointStore store) throws Exception {
        return connection.jetStreamManagement().getStreamInfo(store.stream()).getStreamState().getMsgCount();
    }
}

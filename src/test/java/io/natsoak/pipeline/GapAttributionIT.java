package io.natsoak.pipeline;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.natsoak.model.Report;
import io.natsoak.nats.Names;
import io.natsoak.producer.ProducerService;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.Soak;
import io.natsoak.worker.WorkerService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every gap is attributed from the data stream itself, against a real 3-node cluster: deleted
 * from the stream (lost by the server), skipped by a worker without a receipt (lost in the
 * pipeline), or still waiting in the stream when the run ends (unprocessed). Each comes out in
 * exactly its class, with the exact count.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GapAttributionIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    @Test
    void messagesDeletedFromTheStreamAfterTheirPubAckAreLostByTheServer() throws Exception {
        try (Soak soak = new Soak(nats, "byserver")
                .set("natsoak.partitions.count", "3").set("natsoak.partitions.rate", "20")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "3s").set("natsoak.verifier.validation-window", "2s")
                .set("natsoak.verifier.settle-timeout", "3s")) {
            ProducerService producer = soak.startProducer(0);
            await().atMost(Duration.ofSeconds(60)).until(producer::finished);
            Names names = new Names(soak.runId());
            int deleted = 0;
            try (Connection c = Nats.connect(nats.urls().get(0))) {
                JetStreamManagement jsm = c.jetStreamManagement();
                TreeMap<Long, Long> p0 = stored(jsm, names, 0);
                TreeMap<Long, Long> p1 = stored(jsm, names, 1);
                TreeMap<Long, Long> p2 = stored(jsm, names, 2);
                assertThat(p0).hasSizeGreaterThan(30);
                // A run in the middle, a lone one, the partition's first message and its last one.
                for (long s : new long[] {5, 6, 7, 20}) {
                    assertThat(jsm.deleteMessage(names.dataStream(), p0.get(s))).isTrue();
                    deleted++;
                }
                assertThat(jsm.deleteMessage(names.dataStream(), p1.get(1L))).isTrue();
                deleted++;
                long last = p2.lastKey();
                assertThat(jsm.deleteMessage(names.dataStream(), p2.get(last))).isTrue();
                deleted++;
            }
            soak.startVerifier();
            soak.startWorkers();
            Report r = soak.awaitVerdict(120);
            assertThat(r.gaps()).isEqualTo(deleted);
            Report.GapAttribution a = r.gapAttribution();
            assertThat(a).isNotNull();
            assertThat(a.lostByServer()).isEqualTo(deleted);
            assertThat(a.lostInPipeline()).isZero();
            assertThat(a.unprocessed()).isZero();
            assertThat(a.undetermined()).isZero();
            assertThat(a.lostByServerSamples()).contains(new Report.GapRange(0, 5, 7), new Report.GapRange(0, 20, 20),
                    new Report.GapRange(1, 1, 1));
            assertThat(r.verdict()).isEqualTo("FAIL");
            String expected = deleted + " message(s) lost by the server";
            assertThat(r.reasons()).anyMatch(reason -> reason.startsWith(expected));
            assertThat(r.reasons()).noneMatch(reason -> reason.contains("pipeline") || reason.contains("never processed"));
        }
    }

    @Test
    void storedMessagesAWorkerSkippedWithoutAReceiptAreLostInThePipeline() throws Exception {
        Set<String> withheld = Set.of("0/3", "0/10", "0/11", "1/7");
        try (Soak soak = new Soak(nats, "inpipeline")
                .set("natsoak.partitions.count", "2").set("natsoak.partitions.rate", "20")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "6s").set("natsoak.verifier.validation-window", "2s")
                .set("natsoak.verifier.settle-timeout", "3s")) {
            soak.startVerifier();
            for (int i = 0; i < 2; i++) {
                WorkerService w = soak.startWorker(i);
                w.withholdReceipts((p, s) -> withheld.contains(p + "/" + s));
            }
            soak.startProducers();
            Report r = soak.awaitVerdict(120);
            assertThat(r.published()).as("past every withheld sequence").isGreaterThan(30);
            assertThat(r.gaps()).isEqualTo(withheld.size());
            Report.GapAttribution a = r.gapAttribution();
            assertThat(a.lostInPipeline()).isEqualTo(withheld.size());
            assertThat(a.lostByServer()).isZero();
            assertThat(a.unprocessed()).isZero();
            assertThat(a.undetermined()).isZero();
            assertThat(a.lostInPipelineSamples()).containsExactly(new Report.GapRange(0, 3, 3), new Report.GapRange(0, 10, 11),
                    new Report.GapRange(1, 7, 7));
            assertThat(r.reasons()).anyMatch(reason -> reason.startsWith(withheld.size() + " message(s) lost in the pipeline"));
            assertThat(r.reasons()).noneMatch(reason -> reason.contains("by the server") || reason.contains("never processed"));
        }
    }

    @Test
    void aBacklogLeftByStoppedWorkersIsUnprocessedAndNeverCalledLost() throws Exception {
        try (Soak soak = new Soak(nats, "unprocessed")
                .set("natsoak.partitions.count", "2").set("natsoak.partitions.rate", "20")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "1").set("natsoak.worker.assignment", "static")
                .set("natsoak.duration", "8s").set("natsoak.verifier.validation-window", "2s")
                .set("natsoak.verifier.settle-timeout", "3s")) {
            soak.startVerifier();
            WorkerService worker = soak.startWorker(0);
            soak.startProducers();
            await().atMost(Duration.ofSeconds(30)).until(() -> soak.verifier().report().verified() > 20);
            worker.stop();
            Report r = soak.awaitVerdict(120);
            assertThat(r.gaps()).as("the backlog after the workers stopped").isGreaterThan(20);
            assertThat(r.gaps()).isEqualTo(r.published() - r.verified());
            Report.GapAttribution a = r.gapAttribution();
            assertThat(a.unprocessed()).isEqualTo(r.gaps());
            assertThat(a.lostByServer()).isZero();
            assertThat(a.lostInPipeline()).isZero();
            assertThat(a.undetermined()).isZero();
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.reasons()).anyMatch(reason -> reason.startsWith(r.gaps() + " message(s) never processed"));
            assertThat(r.reasons()).noneMatch(reason -> reason.contains("lost"));
        }
    }

    /** Partition sequence -> stream sequence of every message stored on the partition's subject. */
    private static TreeMap<Long, Long> stored(JetStreamManagement jsm, Names names, int partition)
            throws IOException, JetStreamApiException {
        TreeMap<Long, Long> out = new TreeMap<>();
        String prefix = names.messageId(partition, 0);
        prefix = prefix.substring(0, prefix.length() - 1);
        long seq = 1;
        while (true) {
            MessageInfo m;
            try {
                m = jsm.getNextMessage(names.dataStream(), seq, names.dataSubject(partition));
            } catch (JetStreamApiException e) {
                return out; // no message at or after seq
            }
            out.put(Long.parseLong(m.getHeaders().getFirst(Names.MSG_ID_HEADER).substring(prefix.length())), m.getSeq());
            seq = m.getSeq() + 1;
        }
    }
}

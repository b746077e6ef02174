package io.natsoak.pipeline;

import io.natsoak.model.Json;
import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.nats.Names;
import io.natsoak.producer.ProducerService;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.Soak;
import io.natsoak.testing.StreamAssertions;
import io.natsoak.verifier.Report;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The producer -> worker -> verifier pipeline, in this JVM, against a real 3-node JetStream cluster. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PipelineIT {

    @RegisterExtension
    static NatsClusterExtension nats = new NatsClusterExtension(3);

    @Test
    void everyPublishedMessageIsVerifiedAndTheRunPasses() throws Exception {
        try (Soak soak = new Soak(nats, "pass")
                .set("natsoak.partitions.count", "6").set("natsoak.partitions.rate", "20")
                .set("natsoak.producer.count", "2").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "6s").set("natsoak.verifier.validation-window", "3s")) {
            soak.startVerifier();
            soak.startWorkers();
            soak.startProducers();
            Report r = soak.awaitVerdict(90);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.last()).isTrue();
            assertThat(r.published()).as("a real flow of messages").isGreaterThan(100);
            assertThat(r.verified()).isEqualTo(r.published());
            assertThat(r.received()).isEqualTo(r.published());
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates()).isEqualTo(new Report.Duplicates(0, 0));
            assertThat(r.inFlight()).isZero();
            assertThat(r.partitions()).isEqualTo(6);
            assertThat(r.producersFinished()).isEqualTo(2);
            assertThat(r.latencyMillis().p50()).isPositive();
            assertThat(r.latencyMillis().max()).isGreaterThanOrEqualTo(r.latencyMillis().p99());
        }
    }

    @Test
    void messagesDeletedBeforeConsumptionAreReportedAsExactlyThatManyGaps() throws Exception {
        try (Soak soak = new Soak(nats, "loss")
                .set("natsoak.partitions.count", "4").set("natsoak.partitions.rate", "25")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "3s").set("natsoak.verifier.validation-window", "2s")
                .set("natsoak.verifier.settle-timeout", "3s")) {
            ProducerService producer = soak.startProducer(0);
            await().atMost(Duration.ofSeconds(60)).until(producer::finished);
            Names names = new Names(soak.runId());
            List<Long> deleted = List.of(5L, 17L, 30L, 31L, 32L, 50L, 61L);
            try (Connection c = Nats.connect(nats.urls().get(0))) {
                JetStreamManagement jsm = c.jetStreamManagement();
                assertThat(jsm.getStreamInfo(names.dataStream()).getStreamState().getLastSequence()).isGreaterThan(61);
                for (long seq : deleted) {
                    assertThat(jsm.deleteMessage(names.dataStream(), seq)).isTrue();
                }
            }
            soak.startVerifier();
            soak.startWorkers();
            Report r = soak.awaitVerdict(90);
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.gaps()).isEqualTo(deleted.size());
            assertThat(r.verified()).isEqualTo(r.published() - deleted.size());
            assertThat(r.duplicates()).isEqualTo(new Report.Duplicates(0, 0));
            assertThat(r.reasons()).anyMatch(reason -> reason.startsWith(deleted.size() + " message(s) lost"));
            assertThat(r.gapSamples()).isNotEmpty();
        }
    }

    @Test
    void duplicatesAreCountedAndClassifiedByTheirDeliveryCount() throws Exception {
        try (Soak soak = new Soak(nats, "dups")
                .set("natsoak.partitions.count", "2").set("natsoak.producer.count", "1")
                .set("natsoak.duration", "2s").set("natsoak.verifier.validation-window", "2s")) {
            soak.startVerifier();
            Names names = new Names(soak.runId());
            try (Connection c = Nats.connect(nats.urls().get(1))) {
                c.keyValue(names.marksBucket()).put(Names.producerKey(0),
                        Json.write(new ProducerMarks(0, System.currentTimeMillis(), true, Map.of(0, 3L, 1, 1L))));
                var js = c.jetStream();
                js.publish(names.receiptsSubject(), new ReceiptBatch("w", List.of(new Receipt(0, 1, 1, 10), new Receipt(0, 2, 1, 10),
                        new Receipt(0, 3, 1, 10), new Receipt(1, 1, 1, 10))).encode());
                js.publish(names.receiptsSubject(), new ReceiptBatch("w", List.of(new Receipt(0, 2, 2, 10))).encode());
                js.publish(names.receiptsSubject(), new ReceiptBatch("w", List.of(new Receipt(0, 3, 1, 10), new Receipt(1, 1, 3, 10))).encode());
                js.publish(names.receiptsSubject(), "not a receipt batch".getBytes());
            }
            Report r = soak.awaitVerdict(60);
            assertThat(r.duplicates()).isEqualTo(new Report.Duplicates(2, 1));
            assertThat(r.received()).isEqualTo(7);
            assertThat(r.verified()).isEqualTo(4);
            assertThat(r.gaps()).isZero();
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.reasons()).containsExactly("1 unexplained duplicate(s): processed twice without a redelivery");
        }
    }

    @Test
    void aRestartedProducerResumesItsSequencesWithoutSkippingOrReusingAny() throws Exception {
        try (Soak soak = new Soak(nats, "resume")
                .set("natsoak.partitions.count", "5").set("natsoak.partitions.rate", "20")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "2")
                .set("natsoak.duration", "9s").set("natsoak.verifier.validation-window", "3s")) {
            soak.startVerifier();
            soak.startWorkers();
            ProducerService first = soak.startProducer(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> first.acknowledged(0) > 10);
            first.stop();
            long before = first.acknowledged(0);
            ProducerService second = soak.startProducer(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> second.acknowledged(0) > before);
            Report r = soak.awaitVerdict(90);
            assertThat(r.verdict()).as(r.reasons().toString()).isEqualTo("PASS");
            assertThat(r.gaps()).isZero();
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.verified()).isEqualTo(r.published());
            StreamAssertions.assertEverySubjectHoldsExactlyItsSequences(nats.urls(), new Names(soak.runId()), 5);
        }
    }
}

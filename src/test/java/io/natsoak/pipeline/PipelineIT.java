package io.natsoak.pipeline;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.natsoak.model.Envelope;
import io.natsoak.model.Json;
import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.model.Report;
import io.natsoak.nats.Names;
import io.natsoak.producer.ProducerService;
import io.natsoak.testing.NatsClusterExtension;
import io.natsoak.testing.NatsServerVersion;
import io.natsoak.testing.Soak;
import io.natsoak.testing.StreamAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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

    /** On every nats-server version (docs/architecture.md, "Tests: which nats-server versions"). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.natsoak.testing.NatsServerVersion#every")
    void everyPublishedMessageIsVerifiedAndTheRunPasses(NatsServerVersion version) throws Exception {
        try (Soak soak = new Soak(nats.on(version), "pass")
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
            // In a 6 s run most messages can be start-up backlog (due before their partition was first
            // consumed); every first delivery is in one of the two latency distributions.
            assertThat(r.startup().partitionsStarted()).isEqualTo(6);
            assertThat(r.startup().readySeconds()).isNotNull();
            assertThat(r.startup().backlogLatencyMillis().max() + r.latencyMillis().max()).isPositive();
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

    /**
     * A predecessor that died with its window in flight: partition 0 has 7 and 8 stored but not 6
     * (above its published mark 5, so never acknowledged), partition 1 lacks 4, at its mark (so
     * acknowledged, then lost). The restarted producer must send 6 again with its original message
     * id and must not paper over 4: the verdict reports exactly that one gap.
     */
    @Test
    void aRestartedProducerSendsItsPredecessorsUnstoredWindowAgainButNeverALossBelowItsMark() throws Exception {
        try (Soak soak = new Soak(nats, "holes")
                .set("natsoak.partitions.count", "2").set("natsoak.partitions.rate", "5")
                .set("natsoak.producer.count", "1").set("natsoak.worker.count", "1").set("natsoak.worker.assignment", "static")
                .set("natsoak.producer.publish-window", "8")
                .set("natsoak.duration", "6s").set("natsoak.verifier.validation-window", "3s")) {
            soak.startVerifier();
            Names names = new Names(soak.runId());
            int size = soak.config().producer().messageSize();
            try (Connection c = Nats.connect(nats.urls().get(1))) {
                var js = c.jetStream();
                for (long s : new long[] {1, 2, 3, 4, 5, 7, 8}) {
                    js.publish(names.dataSubject(0), new Envelope(0, s, 0, s, 0, 1).encode(size),
                            PublishOptions.builder().messageId(names.messageId(0, s)).build());
                }
                for (long s : new long[] {1, 2, 3, 5}) {
                    js.publish(names.dataSubject(1), new Envelope(1, s, 0, 10 + s, 0, 1).encode(size),
                            PublishOptions.builder().messageId(names.messageId(1, s)).build());
                }
                c.keyValue(names.marksBucket()).put(Names.producerKey(0), Json.write(new ProducerMarks(0, System.currentTimeMillis(), false,
                        Map.of(0, 5L, 1, 4L), new ProducerMarks.Window(8, Map.of(0, 0L, 1, 0L)))));
            }
            soak.startWorkers();
            ProducerService producer = soak.startProducer(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> producer.acknowledged(0) > 8 && producer.acknowledged(1) > 5);
            Report r = soak.awaitVerdict(90);
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.gaps()).as("only the loss below the mark").isEqualTo(1);
            assertThat(r.gapSamples()).containsExactly(new Report.GapRange(1, 4, 4));
            assertThat(r.duplicates().unexplained()).isZero();
            assertThat(r.verified()).isEqualTo(r.published() - 1);
            StreamAssertions.assertSubjectsHoldExactlyTheirSequences(nats.urls(), names, 0);
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

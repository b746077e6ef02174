package io.natsoak.testing;

import io.nats.client.Connection;
import io.nats.client.IterableConsumer;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.natsoak.model.Json;
import io.natsoak.model.ProducerMarks;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.model.Report;
import io.natsoak.nats.Names;
import io.natsoak.verifier.Verification;

import java.time.Duration;
import java.util.List;

/**
 * The verdict a run deserves, computed independently of the verifier: every receipt batch in the
 * receipts stream, from its first message, applied once to a fresh {@link Verification}, with the
 * producers' final marks. A verifier that crashed and resumed must arrive at the same counts.
 */
public final class ReceiptsTruth {

    private ReceiptsTruth() {
    }

    public static Report replay(List<String> urls, Names names, int partitions, int producers, Duration window) throws Exception {
        Verification truth = new Verification(partitions, producers, window, System::nanoTime);
        try (Connection c = Nats.connect(String.join(",", urls))) {
            KeyValue marks = c.keyValue(names.marksBucket());
            for (int i = 0; i < producers; i++) {
                KeyValueEntry e = marks.get(Names.producerKey(i));
                if (e != null && e.getValue() != null) {
                    truth.onMarks(Json.read(e.getValue(), ProducerMarks.class));
                }
            }
            long last = c.jetStreamManagement().getStreamInfo(names.receiptsStream()).getStreamState().getLastSequence();
            long applied = 0;
            try (IterableConsumer it = c.getStreamContext(names.receiptsStream())
                    .createOrderedConsumer(new OrderedConsumerConfiguration()).iterate()) {
                while (applied < last) {
                    Message m = it.nextMessage(Duration.ofSeconds(10));
                    if (m == null) {
                        throw new AssertionError("the receipts stream ended at sequence " + applied + " of " + last);
                    }
                    applied = m.metaData().streamSequence();
                    truth.onBatch(ReceiptBatch.decode(m.getData()));
                }
            }
        }
        truth.finish();
        return truth.report(names.runId(), 0, true);
    }
}

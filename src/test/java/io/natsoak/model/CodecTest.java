package io.natsoak.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CodecTest {

    @Test
    void envelopeRoundTripsAndIsPaddedToTheMessageSize() {
        Envelope e = new Envelope(12, 345, 1, 999, 1_700_000_000_000_000L, 20.0);
        byte[] bytes = e.encode(200);
        assertThat(bytes).hasSize(200);
        assertThat(Envelope.decode(bytes)).isEqualTo(e);
    }

    @Test
    void receiptBatchRoundTrips() {
        ReceiptBatch b = new ReceiptBatch("worker-3", List.of(new Receipt(1, 2, 1, 300), new Receipt(4, 5, 2, 600)));
        assertThat(ReceiptBatch.decode(b.encode())).isEqualTo(b);
    }

    @Test
    void randomBytesNeverDecodeSilentlyOrThrowAnythingElse() {
        Random random = new Random(42);
        for (int i = 0; i < 5_000; i++) {
            byte[] junk = new byte[random.nextInt(300)];
            random.nextBytes(junk);
            if (i % 2 == 0 && junk.length > 3) {
                junk[0] = 0x4E;
                junk[1] = 0x52;
                junk[2] = 1;
            }
            assertThatThrownBy(() -> ReceiptBatch.decode(junk)).isInstanceOf(MalformedMessageException.class);
            if (i % 2 == 0 && junk.length > 3) {
                junk[1] = 0x53;
            }
            try {
                Envelope.decode(junk);
            } catch (MalformedMessageException expected) {
                // the only allowed failure
            }
        }
    }

    @Test
    void truncatedBatchIsMalformed() {
        byte[] whole = new ReceiptBatch("w", List.of(new Receipt(1, 2, 1, 3))).encode();
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 1);
        assertThatThrownBy(() -> ReceiptBatch.decode(cut)).isInstanceOf(MalformedMessageException.class);
    }

    @Test
    void producerMarksKeepTheirWindowThroughJsonAndRecordsWithoutOneReadAsNull() {
        ProducerMarks marks = new ProducerMarks(2, 1_000, false, java.util.Map.of(5, 40L), new ProducerMarks.Window(16, java.util.Map.of(5, 900L)));
        assertThat(Json.read(Json.write(marks), ProducerMarks.class)).isEqualTo(marks);
        ProducerMarks bare = Json.read("{\"producer\":1,\"atMillis\":5,\"last\":true,\"marks\":{\"3\":7}}".getBytes(), ProducerMarks.class);
        assertThat(bare).isEqualTo(new ProducerMarks(1, 5, true, java.util.Map.of(3, 7L)));
        assertThat(bare.window()).isNull();
    }
}

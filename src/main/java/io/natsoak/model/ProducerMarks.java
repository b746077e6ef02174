package io.natsoak.model;

import java.util.Map;

/**
 * A producer's acknowledged high-water mark per partition: every sequence up to the mark was
 * stored by JetStream (PubAck received). {@code last} is set once the producer has stopped for
 * the end of the run and nothing more will follow.
 */
public record ProducerMarks(int producer, long atMillis, boolean last, Map<Integer, Long> marks) {

    public ProducerMarks {
        marks = Map.copyOf(marks);
    }
}

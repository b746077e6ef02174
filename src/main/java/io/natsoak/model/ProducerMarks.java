package io.natsoak.model;

import java.util.Map;

/**
 * A producer's acknowledged high-water mark per partition: every sequence up to the mark was
 * stored by JetStream (PubAck received). {@code last} is set once the producer has stopped for
 * the end of the run and nothing more will follow.
 * <p>
 * {@code window} is for the producer's own restart, not for the verifier: how many sequences
 * per partition it keeps in flight above the mark, and per partition a stream sequence below
 * which none of them can be stored. Null in records the verifier rebuilds from a checkpoint.
 */
public record ProducerMarks(int producer, long atMillis, boolean last, Map<Integer, Long> marks, Window window) {

    public ProducerMarks {
        marks = Map.copyOf(marks);
    }

    public ProducerMarks(int producer, long atMillis, boolean last, Map<Integer, Long> marks) {
        this(producer, atMillis, last, marks, null);
    }

    /** The in-flight window behind the marks: its size and, per partition, where a restart reads the stream from. */
    public record Window(int size, Map<Integer, Long> streamFloors) {

        public Window {
            streamFloors = Map.copyOf(streamFloors);
        }
    }
}

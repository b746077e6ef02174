package io.natsoak.producer;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.natsoak.model.Json;
import io.natsoak.model.ProducerMarks;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the verifier learns from a producer: per partition, its acknowledged high-water mark (the
 * acknowledged prefix) and its stream floor. The send thread sets them as PubAcks arrive; the
 * marks scheduler publishes them to the marks bucket, and the producer once more, marked last,
 * when its run is over or it stops. One per producer incarnation.
 */
final class MarksPublisher {

    private static final Logger LOG = Logger.getLogger(MarksPublisher.class);

    private final int index;
    private final int[] partitions;
    private final Names names;
    private final Clock clock;
    private final AtomicLongArray acknowledged;
    private final AtomicLongArray streamFloors;

    /**
     * @param partitionCount every partition of the run (marks are indexed by partition)
     * @param partitions     this producer's partitions: the ones published
     */
    MarksPublisher(int index, int partitionCount, int[] partitions, Names names, Clock clock) {
        this.index = index;
        this.partitions = partitions;
        this.names = names;
        this.clock = clock;
        this.acknowledged = new AtomicLongArray(partitionCount);
        this.streamFloors = new AtomicLongArray(partitionCount);
    }

    void acknowledged(int partition, long mark) {
        acknowledged.set(partition, mark);
    }

    long acknowledged(int partition) {
        return acknowledged.get(partition);
    }

    void streamFloor(int partition, long floor) {
        streamFloors.set(partition, floor);
    }

    /** Writes every mark to the marks bucket; a failure is logged and the next publication tries again. */
    void publish(Connection conn, int windowSize, boolean last) {
        Map<Integer, Long> marks = new HashMap<>();
        Map<Integer, Long> floors = new HashMap<>();
        for (int p : partitions) {
            marks.put(p, acknowledged.get(p));
            floors.put(p, streamFloors.get(p));
        }
        ProducerMarks.Window window = new ProducerMarks.Window(windowSize, floors);
        try {
            KeyValue kv = conn.keyValue(names.marksBucket());
            kv.put(Names.producerKey(index), Json.write(new ProducerMarks(index, clock.millis(), last, marks, window)));
        } catch (Exception e) {
            LOG.warnf("producer %d: cannot publish marks yet (%s)", index, e.toString());
        }
    }
}

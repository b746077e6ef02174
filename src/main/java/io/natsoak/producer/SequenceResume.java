package io.natsoak.producer;

import io.nats.client.Connection;
import io.nats.client.IterableConsumer;
import io.nats.client.Message;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.natsoak.model.Envelope;
import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.model.ProducerMarks;
import io.natsoak.nats.LeaderReads;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Where each of a producer's partitions continues after a restart, never from 1 and never
 * skipping a sequence.
 * <p>
 * With one publish in flight per partition the last stored message says it all. With a window,
 * the predecessor may have died with a later sequence stored and an earlier one not (its
 * publish failed and its retry had not yet landed). Such holes can only lie within one window
 * below the last stored sequence and above the predecessor's last published mark (everything up
 * to the mark was acknowledged, so a missing sequence there is NATS' loss, for the verifier to
 * report, never to paper over). Only then does the producer read the stream, from the stream
 * floor its predecessor recorded with the marks, to learn which of those few sequences are
 * stored; the others it sends again, with their original message ids.
 */
final class SequenceResume {

    private static final Logger LOG = Logger.getLogger(SequenceResume.class);
    private static final long SCAN_WAIT_MILLIS = 2_000;
    private static final long PROGRESS_EVERY = 100_000;

    /**
     * One partition's continuation: every sequence up to {@code prefix} is stored, {@code last} is
     * the highest stored, {@code storedAbove} marks (bit i: prefix + 1 + i) which of those in
     * between are stored, and {@code holes} are the ones to send again.
     */
    record Plan(long prefix, long last, long storedAbove, long[] holes) {
        static Plan upTo(long last) {
            return new Plan(last, last, 0, new long[0]);
        }
    }

    /**
     * The whole continuation of a producer: per partition its plan and its stream floor (nothing
     * this incarnation sends can be stored at or below it), its producer sequence, and the window
     * its partitions need (the predecessor's may have been larger).
     */
    record Resumed(Map<Integer, Plan> plans, Map<Integer, Long> streamFloors, long producerSequence, int windowNeeded) {
    }

    private final Connection connection;
    private final Names names;
    private final int index;
    private final int configuredWindow;

    SequenceResume(Connection connection, Names names, int index, int configuredWindow) {
        this.connection = connection;
        this.names = names;
        this.index = index;
        this.configuredWindow = configuredWindow;
    }

    /**
     * The pure part: which sequences between the last published mark and the last stored one
     * were never stored. {@code stored} is asked only about sequences in that span.
     */
    static Plan plan(long lastStored, long previousMark, int previousWindow, LongPredicate stored) {
        long lower = Math.max(previousMark, lastStored - previousWindow);
        if (lastStored - lower < 2) {
            return Plan.upTo(lastStored);
        }
        List<Long> holes = new ArrayList<>();
        for (long s = lower + 1; s < lastStored; s++) {
            if (!stored.test(s)) {
                holes.add(s);
            }
        }
        if (holes.isEmpty()) {
            return Plan.upTo(lastStored);
        }
        long prefix = holes.get(0) - 1;
        long storedAbove = 0;
        for (long s = prefix + 1; s <= lastStored; s++) {
            if (s == lastStored || !holes.contains(s)) {
                storedAbove |= 1L << (s - prefix - 1);
            }
        }
        return new Plan(prefix, lastStored, storedAbove, holes.stream().mapToLong(Long::longValue).toArray());
    }

    Resumed resume(int[] partitions) throws Exception {
        ProducerMarks previous = previousMarks();
        int previousWindow = previous != null && previous.window() != null
                ? Math.max(1, Math.min(PublishWindows.MAX_SIZE, previous.window().size())) : configuredWindow;
        Map<Integer, Long> floors = previous != null && previous.window() != null ? previous.window().streamFloors() : Map.of();
        Map<Integer, Long> marks = previous != null ? previous.marks() : Map.of();
        Map<Integer, Plan> plans = new HashMap<>();
        Map<Integer, Long> newFloors = new HashMap<>();
        Map<Integer, Long> lastStored = new HashMap<>();
        Set<Integer> uncertain = new HashSet<>();
        long producerSequence = 0;
        long scanFrom = Long.MAX_VALUE;
        long scanTo = 0;
        for (int p : partitions) {
            MessageInfo last = LeaderReads.lastMessage(connection, names.dataStream(), names.dataSubject(p)).orElse(null);
            if (last == null) {
                continue;
            }
            Envelope env = decode(p, last.getData());
            producerSequence = Math.max(producerSequence, env.producerSequence());
            lastStored.put(p, env.sequence());
            plans.put(p, Plan.upTo(env.sequence()));
            newFloors.put(p, last.getSeq());
            long lower = Math.max(marks.getOrDefault(p, 0L), env.sequence() - previousWindow);
            if (env.sequence() - lower >= 2) {
                uncertain.add(p);
                scanFrom = Math.min(scanFrom, floors.getOrDefault(p, 0L) + 1);
                scanTo = Math.max(scanTo, last.getSeq());
            }
        }
        if (!uncertain.isEmpty()) {
            Map<Integer, Set<Long>> stored = scan(uncertain, floors, scanFrom, scanTo);
            int holes = 0;
            for (int p : uncertain) {
                Set<Long> seen = stored.getOrDefault(p, Set.of());
                Plan plan = plan(lastStored.get(p), marks.getOrDefault(p, 0L), previousWindow, seen::contains);
                plans.put(p, plan);
                if (plan.holes().length > 0) {
                    // a hole's earlier send may still land: only the predecessor's floor is safe
                    newFloors.put(p, floors.getOrDefault(p, 0L));
                }
                holes += plan.holes().length;
            }
            LOG.infof("producer %d: %d partitions ended with a window in flight; %d sequences were not stored and are sent again", index,
                    uncertain.size(), holes);
        }
        return new Resumed(plans, newFloors, producerSequence, Math.max(configuredWindow, previousWindow));
    }

    /** This producer's last marks record, if its predecessor published one. */
    private ProducerMarks previousMarks() throws Exception {
        // From the leader: a lagging replica's older marks would put holes below the real mark
        // among those sent again, and a loss NATS caused would be filled instead of reported.
        KeyValueEntry entry = LeaderReads.kvEntry(connection, names.marksBucket(), Names.producerKey(index)).orElse(null);
        return entry == null || entry.getValue() == null ? null : Json.read(entry.getValue(), ProducerMarks.class);
    }

    /** The sequences of the uncertain partitions stored above their stream floors, read once in stream order. */
    private Map<Integer, Set<Long>> scan(Set<Integer> partitions, Map<Integer, Long> floors, long from, long to) throws Exception {
        Map<Integer, Set<Long>> stored = new HashMap<>();
        OrderedConsumerConfiguration cc = new OrderedConsumerConfiguration().filterSubject(names.dataSubjects())
                .deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(Math.max(1, from));
        long read = 0;
        try (IterableConsumer consumer = connection.getStreamContext(names.dataStream()).createOrderedConsumer(cc).iterate()) {
            while (true) {
                Message m = consumer.nextMessage(SCAN_WAIT_MILLIS);
                if (m == null) {
                    throw new IllegalStateException("reading the data stream up to sequence " + to + " stalled");
                }
                long streamSeq = m.metaData().streamSequence();
                try {
                    Envelope env = Envelope.decode(m.getData());
                    int p = env.partition();
                    if (partitions.contains(p) && streamSeq > floors.getOrDefault(p, 0L)) {
                        stored.computeIfAbsent(p, k -> new HashSet<>()).add(env.sequence());
                    }
                } catch (MalformedMessageException e) {
                    // not natsoak's: it cannot fill a hole of ours
                }
                if (++read % PROGRESS_EVERY == 0) {
                    LOG.infof("producer %d: resuming, read %d messages of the data stream (%d to go)", index, read, to - streamSeq);
                }
                if (streamSeq >= to) {
                    return stored;
                }
            }
        }
    }

    private static Envelope decode(int p, byte[] data) {
        try {
            return Envelope.decode(data);
        } catch (MalformedMessageException e) {
            throw new IllegalStateException("partition " + p + " holds a message natsoak did not write; refusing to guess its sequence", e);
        }
    }
}

package io.natsoak.verifier;

import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.IterableConsumer;
import io.nats.client.Message;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.impl.Headers;
import io.natsoak.nats.LeaderReads;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The data stream as {@link GapAttributor} reads it: positions and lookups from the stream
 * leader ({@link LeaderReads}), a partition's stored messages through a short-lived ordered
 * consumer filtered on its subject, headers only (a message's partition sequence is in its
 * message id, {@code <run>-<partition>-<sequence>}).
 * <p>
 * Where to read. A producer sends sequence {@code s} only once every sequence up to
 * {@code s - window} is acknowledged (stored), {@code window} at most {@value #WINDOW}
 * ({@code natsoak.producer.publish-window}), also when a restarted producer sends its
 * predecessor's window again. So sequence {@code s} is stored after every sequence
 * {@code <= s - window} and before every sequence {@code >= s + window}. A binary search over
 * stream sequences (next message on the subject, read from the leader) finds a start where every
 * sequence {@code >= from} lies after; the read stops at the first sequence {@code >= to + window}
 * or at the subject's last message. The cost is about log2(stream size) lookups plus the
 * messages near the range, not the partition's history.
 */
final class DataStreamFacts implements GapAttributor.StreamFacts {

    private static final Logger LOG = Logger.getLogger(DataStreamFacts.class);
    /** The largest publish window a producer can have (PublishWindows.MAX_SIZE). */
    static final long WINDOW = 64;
    /** A read that gets nothing for this long, before it reached its end, failed (and is retried). */
    private static final Duration QUIET = Duration.ofSeconds(5);
    private static final int BATCH = 512;

    private final Connection connection;
    private final Names names;

    DataStreamFacts(Connection connection, Names names) {
        this.connection = connection;
        this.names = names;
    }

    @Override
    public long committedPosition(int partition) throws Exception {
        Optional<MessageInfo> entry = LeaderReads.kvMessage(connection, names.positionsBucket(), Names.positionKey(partition));
        byte[] data = entry.map(MessageInfo::getData).orElse(null);
        return data == null || data.length == 0 ? 0 : positionOf(new String(data, StandardCharsets.UTF_8));
    }

    /** The stream sequence of a position record, {@code <stream sequence>,<clean|running>,<replay until>,<owner>} (worker.Position). */
    static long positionOf(String record) {
        int comma = record.indexOf(',');
        try {
            return Long.parseLong(comma < 0 ? record : record.substring(0, comma));
        } catch (NumberFormatException e) {
            throw new IllegalStateException("not a position record: " + record);
        }
    }

    @Override
    public GapAttributor.Scan scan(int partition, long from, long to, long budget) throws Exception {
        String stream = names.dataStream();
        String subject = names.dataSubject(partition);
        Optional<MessageInfo> last = LeaderReads.lastMessage(connection, stream, subject);
        if (last.isEmpty()) {
            return new GapAttributor.Scan(List.of(), true, 0);
        }
        long lastSeq = last.get().getSeq();
        long start = startBefore(stream, subject, partition, from, lastSeq);
        if (start > lastSeq) {
            return new GapAttributor.Scan(List.of(), true, 0);
        }
        OrderedConsumerConfiguration cc = new OrderedConsumerConfiguration().filterSubject(subject)
                .deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(start).headersOnly(true)
                .consumerNamePrefix("gaps" + partition);
        OrderedConsumerContext ctx = connection.getStreamContext(stream).createOrderedConsumer(cc);
        List<GapAttributor.Stored> stored = new ArrayList<>();
        long read = 0;
        try (IterableConsumer consumer = ctx.iterate(ConsumeOptions.builder().batchSize(BATCH).build())) {
            while (true) {
                Message m = consumer.nextMessage(QUIET);
                if (m == null) {
                    throw new IOException("the data stream sent nothing for " + QUIET.toSeconds() + " s while partition " + partition
                            + " was read up to stream sequence " + lastSeq);
                }
                long seq = m.metaData().streamSequence();
                read++;
                long sequence = sequenceOf(m.getHeaders(), partition);
                if (sequence > 0) {
                    stored.add(new GapAttributor.Stored(sequence, seq));
                }
                if (seq >= lastSeq || sequence >= to + WINDOW) {
                    return new GapAttributor.Scan(stored, true, read);
                }
                if (read >= budget) {
                    return new GapAttributor.Scan(stored, false, read);
                }
            }
        } finally {
            deleteConsumer(stream, ctx);
        }
    }

    /**
     * A stream sequence before which no sequence {@code >= from} of the partition is stored:
     * every step keeps {@code low} such a start (a message of sequence {@code <= from - window}
     * at or after {@code mid} moves it past that message).
     */
    private long startBefore(String stream, String subject, int partition, long from, long lastSeq) throws Exception {
        long low = 1;
        long high = lastSeq;
        while (low <= high) {
            long mid = low + (high - low) / 2;
            Optional<MessageInfo> m = LeaderReads.nextMessage(connection, stream, mid, subject);
            long sequence = m.map(info -> sequenceOf(info.getHeaders(), partition)).orElse(-1L);
            if (m.isPresent() && sequence > 0 && sequence <= from - WINDOW) {
                low = m.get().getSeq() + 1;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /** The partition sequence in a message's id, or -1 when it is not a natsoak message of this partition. */
    long sequenceOf(Headers headers, int partition) {
        String id = headers == null ? null : headers.getFirst(Names.MSG_ID_HEADER);
        String prefix = names.messageId(partition, 0);
        prefix = prefix.substring(0, prefix.length() - 1);
        if (id == null || !id.startsWith(prefix)) {
            return -1;
        }
        try {
            return Long.parseLong(id.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void deleteConsumer(String stream, OrderedConsumerContext ctx) {
        String name = ctx.getConsumerName();
        if (name == null) {
            return;
        }
        try {
            connection.jetStreamManagement().deleteConsumer(stream, name);
        } catch (Exception e) {
            LOG.debugf("consumer %s not deleted (%s); the server removes it when idle", name, e);
        }
    }
}

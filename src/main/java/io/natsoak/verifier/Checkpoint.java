package io.natsoak.verifier;

import com.fasterxml.jackson.core.type.TypeReference;
import io.natsoak.model.Json;
import io.natsoak.model.ProducerMarks;
import org.HdrHistogram.Histogram;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * One checkpoint of the verifier: its whole {@link Verification} state and the receipts-stream
 * sequence up to which that state includes every receipt batch, taken at one instant. After a
 * crash the verifier restores it and reads the receipts stream from {@code receiptsPosition + 1}:
 * every batch is then applied exactly once, whatever happened to the process.
 *
 * <h2>Format (version {@value #VERSION})</h2>
 * A gzip stream (its CRC catches damage) of big-endian {@link DataOutputStream} values:
 * <pre>
 * int magic "NSVC", short version, UTF run id, int partitions, int producers,
 * long written-at (epoch ms), long receipts position,
 * long received, redelivered, unexplained, invalid,
 * per partition: long published,
 *     ledger: int max window bits, long watermark, verified, highest seen, base, gap count,
 *             int n, n x long bitset words, int n, n x (long from, to) gaps, int n, n x (long from, to) far runs,
 *     int n, n x (long start, end, age ns) replayed ranges,
 * int n, n x producer marks (int producer, long at-millis, boolean last, int m, m x (int partition, long mark)),
 * int n, n bytes latency histogram (HdrHistogram compressed encoding),
 * [version 2:] per partition: long first-processed-at (epoch ms, 0 none),
 *     int n, n bytes start-up latency histogram, int n, n bytes resources (UTF-8 JSON: the
 *     {@link ResourceGrowth} incarnations, so a restarted verifier keeps every baseline),
 * int end magic "CVSN"
 * </pre>
 * Readers refuse any other version: a new field means a new version number and a reader for it.
 * Version 1 (no start-up, no resources) is still read.
 */
record Checkpoint(String runId, long writtenAtMillis, long receiptsPosition, Verification.Snapshot state,
                  List<IncarnationState> resources) {

    static final int VERSION = 2;
    private static final int OLDEST_VERSION = 1;
    private static final TypeReference<List<IncarnationState>> RESOURCES = new TypeReference<>() {
    };

    Checkpoint {
        resources = resources == null ? List.of() : List.copyOf(resources);
    }

    Checkpoint(String runId, long writtenAtMillis, long receiptsPosition, Verification.Snapshot state) {
        this(runId, writtenAtMillis, receiptsPosition, state, List.of());
    }
    private static final int MAGIC = 0x4E535643; // "NSVC"
    private static final int END_MAGIC = 0x4356534E; // "CVSN"
    /** Refuse to inflate more than this: a damaged or hostile length must not exhaust the heap. */
    private static final int MAX_INFLATED_BYTES = 1 << 30;

    int partitions() {
        return state.ledgers().length;
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * 1024);
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes, 64 * 1024))) {
            Verification.Snapshot s = state;
            out.writeInt(MAGIC);
            out.writeShort(VERSION);
            out.writeUTF(runId);
            out.writeInt(s.ledgers().length);
            out.writeInt(s.producers());
            out.writeLong(writtenAtMillis);
            out.writeLong(receiptsPosition);
            out.writeLong(s.received());
            out.writeLong(s.redelivered());
            out.writeLong(s.unexplained());
            out.writeLong(s.invalid());
            for (int p = 0; p < s.ledgers().length; p++) {
                out.writeLong(s.published()[p]);
                writeLedger(out, s.ledgers()[p]);
                long[][] replayed = s.replays()[p];
                out.writeInt(replayed.length);
                for (long[] r : replayed) {
                    out.writeLong(r[0]);
                    out.writeLong(r[1]);
                    out.writeLong(r[2]);
                }
            }
            out.writeInt(s.latestMarks().size());
            for (ProducerMarks m : s.latestMarks()) {
                out.writeInt(m.producer());
                out.writeLong(m.atMillis());
                out.writeBoolean(m.last());
                out.writeInt(m.marks().size());
                for (Map.Entry<Integer, Long> e : m.marks().entrySet()) {
                    out.writeInt(e.getKey());
                    out.writeLong(e.getValue());
                }
            }
            writeHistogram(out, s.latency());
            long[] first = s.firstProcessedAtMillis();
            for (int p = 0; p < s.ledgers().length; p++) {
                out.writeLong(first == null ? 0 : first[p]);
            }
            writeHistogram(out, s.startupLatency());
            byte[] json = Json.write(resources);
            out.writeInt(json.length);
            out.write(json);
            out.writeInt(END_MAGIC);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e); // cannot happen: no real I/O
        }
        return bytes.toByteArray();
    }

    private static void writeHistogram(DataOutputStream out, Histogram h) throws IOException {
        ByteBuffer histogram = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int length = h.encodeIntoCompressedByteBuffer(histogram);
        out.writeInt(length);
        out.write(histogram.array(), 0, length);
    }

    private static Histogram readHistogram(DataInputStream in, String what) throws IOException, CheckpointException, DataFormatException {
        byte[] bytes = new byte[count(in, in.readInt(), 1, what + " bytes")];
        in.readFully(bytes);
        return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 2);
    }

    private static void writeLedger(DataOutputStream out, PartitionLedger.State l) throws IOException {
        out.writeInt(l.maxWindowBits());
        out.writeLong(l.watermark());
        out.writeLong(l.verified());
        out.writeLong(l.highestSeen());
        out.writeLong(l.base());
        out.writeLong(l.gapCount());
        out.writeInt(l.words().length);
        for (long w : l.words()) {
            out.writeLong(w);
        }
        writeRuns(out, l.gapFrom(), l.gapTo());
        writeRuns(out, l.farFrom(), l.farTo());
    }

    private static void writeRuns(DataOutputStream out, long[] from, long[] to) throws IOException {
        out.writeInt(from.length);
        for (int i = 0; i < from.length; i++) {
            out.writeLong(from[i]);
            out.writeLong(to[i]);
        }
    }

    /**
     * Reads a checkpoint written by {@link #encode}. Checks its structure only; the state's own
     * consistency is checked when it is restored ({@link Verification#restore}).
     *
     * @throws CheckpointException naming what is wrong (damaged, truncated, unknown version)
     */
    static Checkpoint decode(byte[] stored) throws CheckpointException {
        byte[] raw = inflate(stored);
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw));
            int magic = in.readInt();
            if (magic != MAGIC) {
                throw new CheckpointException(String.format("it is not a natsoak verifier checkpoint (magic %08x)", magic));
            }
            int version = in.readUnsignedShort();
            if (version < OLDEST_VERSION || version > VERSION) {
                throw new CheckpointException("it has format version " + version + "; this verifier reads versions " + OLDEST_VERSION
                        + " to " + VERSION);
            }
            String runId = in.readUTF();
            int partitions = count(in, in.readInt(), 1, "partitions");
            int producers = in.readInt();
            long writtenAt = in.readLong();
            long position = in.readLong();
            if (position < 0) {
                throw new CheckpointException("its receipts position " + position + " is negative");
            }
            long received = in.readLong();
            long redelivered = in.readLong();
            long unexplained = in.readLong();
            long invalid = in.readLong();
            long[] published = new long[partitions];
            PartitionLedger.State[] ledgers = new PartitionLedger.State[partitions];
            long[][][] replays = new long[partitions][][];
            for (int p = 0; p < partitions; p++) {
                published[p] = in.readLong();
                ledgers[p] = readLedger(in);
                long[][] replayed = new long[count(in, in.readInt(), 24, "replayed ranges")][];
                for (int i = 0; i < replayed.length; i++) {
                    replayed[i] = new long[] {in.readLong(), in.readLong(), in.readLong()};
                }
                replays[p] = replayed;
            }
            int producersWithMarks = count(in, in.readInt(), 17, "producer marks");
            List<ProducerMarks> marks = new ArrayList<>(producersWithMarks);
            for (int i = 0; i < producersWithMarks; i++) {
                int producer = in.readInt();
                long atMillis = in.readLong();
                boolean last = in.readBoolean();
                int n = count(in, in.readInt(), 12, "marks");
                Map<Integer, Long> m = new HashMap<>();
                for (int j = 0; j < n; j++) {
                    m.put(in.readInt(), in.readLong());
                }
                marks.add(new ProducerMarks(producer, atMillis, last, m));
            }
            Histogram latency = readHistogram(in, "latency histogram");
            Verification.Snapshot state;
            List<IncarnationState> resources = List.of();
            if (version >= 2) {
                long[] firstProcessed = new long[partitions];
                for (int p = 0; p < partitions; p++) {
                    firstProcessed[p] = in.readLong();
                }
                Histogram startup = readHistogram(in, "start-up latency histogram");
                byte[] json = new byte[count(in, in.readInt(), 1, "resource bytes")];
                in.readFully(json);
                try {
                    resources = Json.MAPPER.readValue(json, RESOURCES);
                } catch (IOException e) {
                    throw new CheckpointException("its resources cannot be read (" + e.getMessage().lines().findFirst().orElse("") + ")");
                }
                state = new Verification.Snapshot(producers, ledgers, replays, published, List.copyOf(marks), received, redelivered,
                        unexplained, invalid, latency, firstProcessed, startup);
            } else {
                state = new Verification.Snapshot(producers, ledgers, replays, published, List.copyOf(marks), received, redelivered,
                        unexplained, invalid, latency);
            }
            if (in.readInt() != END_MAGIC || in.read() != -1) {
                throw new CheckpointException("it does not end where its contents do");
            }
            return new Checkpoint(runId, writtenAt, position, state, resources);
        } catch (EOFException e) {
            throw new CheckpointException("it is truncated");
        } catch (IOException | DataFormatException | RuntimeException e) {
            throw new CheckpointException("it cannot be read (" + e + ")", e);
        }
    }

    private static PartitionLedger.State readLedger(DataInputStream in) throws IOException, CheckpointException {
        int maxWindowBits = in.readInt();
        long watermark = in.readLong();
        long verified = in.readLong();
        long highestSeen = in.readLong();
        long base = in.readLong();
        long gapCount = in.readLong();
        long[] words = new long[count(in, in.readInt(), 8, "bitset words")];
        for (int i = 0; i < words.length; i++) {
            words[i] = in.readLong();
        }
        long[][] gaps = readRuns(in, "gap ranges");
        long[][] far = readRuns(in, "far runs");
        return new PartitionLedger.State(maxWindowBits, watermark, verified, highestSeen, base, words, gaps[0], gaps[1], gapCount,
                far[0], far[1]);
    }

    private static long[][] readRuns(DataInputStream in, String what) throws IOException, CheckpointException {
        int n = count(in, in.readInt(), 16, what);
        long[] from = new long[n];
        long[] to = new long[n];
        for (int i = 0; i < n; i++) {
            from[i] = in.readLong();
            to[i] = in.readLong();
        }
        return new long[][] {from, to};
    }

    /** A count read from the data, checked against the bytes left, so a damaged count cannot allocate gigabytes. */
    private static int count(DataInputStream in, int n, int bytesEach, String what) throws IOException, CheckpointException {
        if (n < 0 || (long) n * bytesEach > in.available()) {
            throw new CheckpointException("it announces " + n + " " + what + " but holds only " + in.available() + " more bytes");
        }
        return n;
    }

    private static byte[] inflate(byte[] stored) throws CheckpointException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(stored))) {
            byte[] raw = in.readNBytes(MAX_INFLATED_BYTES + 1);
            if (raw.length > MAX_INFLATED_BYTES) {
                throw new CheckpointException("it inflates to more than " + MAX_INFLATED_BYTES + " bytes");
            }
            return raw;
        } catch (EOFException e) {
            throw new CheckpointException("it is truncated");
        } catch (ZipException e) {
            throw new CheckpointException("it is damaged (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new CheckpointException("it cannot be inflated (" + e.getMessage() + ")");
        }
    }

    /**
     * Refuses a checkpoint of another run or of a run of another shape: its state would be
     * meaningless here (sequences of other partitions, marks of other producers).
     */
    void checkBelongsTo(String expectedRunId, int expectedPartitions, int expectedProducers) throws CheckpointException {
        if (!runId.equals(expectedRunId) || partitions() != expectedPartitions || state.producers() != expectedProducers) {
            throw new CheckpointException("it belongs to run \"" + runId + "\" with " + partitions() + " partitions and "
                    + state.producers() + " producers; this verifier checks run \"" + expectedRunId + "\" with " + expectedPartitions
                    + " partitions and " + expectedProducers + " producers");
        }
    }
}

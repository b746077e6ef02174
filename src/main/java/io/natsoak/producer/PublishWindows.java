package io.natsoak.producer;

/**
 * Per partition, which sequences may be in flight and which are acknowledged: sequences are
 * assigned in order, at most {@code size} of them beyond the acknowledged prefix, and the
 * prefix (every sequence up to it acknowledged) only moves when the oldest outstanding one is
 * acknowledged. PubAcks may arrive out of order; they are held in a bit mask above the prefix,
 * so the window is at most {@value #MAX_SIZE} and costs two longs and a mask per partition.
 * <p>
 * It also remembers, per partition, a stream position below which nothing outstanding can be
 * stored: the highest stream sequence acknowledged before the oldest outstanding sequence was
 * first sent (a message sent after a PubAck is stored after the acknowledged one). A restarted
 * producer reads the stream from there to find what its predecessor's last window stored.
 * Not thread-safe: the producer's send thread owns it.
 */
final class PublishWindows {

    static final int MAX_SIZE = 64;

    private final int size;
    private final long[] acknowledged;
    private final long[] assigned;
    /** Bit i: sequence acknowledged + 1 + i is acknowledged. */
    private final long[] ackedAbove;
    /** Highest stream sequence of any PubAck of the partition. */
    private final long[] highestStreamSeq;
    /** Slot (sequence % size): the highest acknowledged stream sequence when that sequence was first sent. */
    private final long[][] floorAtSend;

    PublishWindows(int partitions, int size) {
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("window size must be 1.." + MAX_SIZE + ", was " + size);
        }
        this.size = size;
        this.acknowledged = new long[partitions];
        this.assigned = new long[partitions];
        this.ackedAbove = new long[partitions];
        this.highestStreamSeq = new long[partitions];
        this.floorAtSend = new long[partitions][size];
    }

    int size() {
        return size;
    }

    /**
     * Continues a partition after a restart: every sequence up to {@code prefix} is stored, the
     * ones in {@code (prefix, last]} are stored when {@code storedAbove} (bit i for prefix + 1 + i)
     * says so and are outstanding otherwise (the caller sends them again).
     */
    void resume(int p, long prefix, long last, long storedAbove, long streamFloor) {
        if (last < prefix || last - prefix > size) {
            throw new IllegalArgumentException("partition " + p + ": cannot resume " + (last - prefix) + " sequences above the prefix with a window of " + size);
        }
        acknowledged[p] = prefix;
        assigned[p] = last;
        ackedAbove[p] = storedAbove;
        highestStreamSeq[p] = streamFloor;
        for (long s = prefix + 1; s <= last; s++) {
            floorAtSend[p][slot(s)] = streamFloor;
        }
        advance(p);
    }

    boolean canAssign(int p) {
        return assigned[p] - acknowledged[p] < size;
    }

    /** The next sequence of the partition; only when {@link #canAssign}. */
    long assign(int p) {
        if (!canAssign(p)) {
            throw new IllegalStateException("partition " + p + ": window of " + size + " is full");
        }
        long s = ++assigned[p];
        floorAtSend[p][slot(s)] = highestStreamSeq[p];
        return s;
    }

    /**
     * Records a PubAck.
     *
     * @return true when the acknowledged prefix moved
     */
    boolean acknowledge(int p, long sequence, long streamSequence) {
        highestStreamSeq[p] = Math.max(highestStreamSeq[p], streamSequence);
        long offset = sequence - acknowledged[p] - 1;
        if (offset < 0 || sequence > assigned[p]) {
            return false; // a duplicate PubAck of a sequence already counted, or one never sent
        }
        ackedAbove[p] |= 1L << offset;
        return advance(p);
    }

    long acknowledged(int p) {
        return acknowledged[p];
    }

    long assigned(int p) {
        return assigned[p];
    }

    /** Sequences sent and not yet acknowledged. */
    int outstanding(int p) {
        return (int) (assigned[p] - acknowledged[p]) - Long.bitCount(ackedAbove[p]);
    }

    /** Nothing outstanding of this partition is stored at or below this stream sequence. */
    long streamFloor(int p) {
        return assigned[p] > acknowledged[p] ? floorAtSend[p][slot(acknowledged[p] + 1)] : highestStreamSeq[p];
    }

    private boolean advance(int p) {
        long mask = ackedAbove[p];
        int moved = Long.numberOfTrailingZeros(~mask);
        if (moved == 0) {
            return false;
        }
        acknowledged[p] += moved;
        ackedAbove[p] = moved == 64 ? 0 : mask >>> moved;
        return true;
    }

    private int slot(long sequence) {
        return (int) (sequence % size);
    }
}

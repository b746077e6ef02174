package io.natsoak.model;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * One data message as the producer writes it. Binary, fixed layout, padded to the configured
 * message size; {@code intendedAtMicros} is when the message was due (not when it was sent),
 * so latency measured from it includes any stall in the producer (no coordinated omission).
 */
public record Envelope(int partition, long sequence, int producerIndex, long producerSequence,
                       long intendedAtMicros, double weight) {

    private static final short MAGIC = 0x4E53; // "NS"
    private static final byte VERSION = 1;
    public static final int HEADER_BYTES = 2 + 1 + 4 + 8 + 4 + 8 + 8 + 8;

    public Envelope {
        if (partition < 0 || sequence < 1 || producerSequence < 1) {
            throw new IllegalArgumentException("partition >= 0, sequence >= 1 and producer sequence >= 1 required");
        }
    }

    public byte[] encode(int size) {
        ByteBuffer buf = ByteBuffer.allocate(Math.max(size, HEADER_BYTES));
        buf.putShort(MAGIC).put(VERSION).putInt(partition).putLong(sequence).putInt(producerIndex)
                .putLong(producerSequence).putLong(intendedAtMicros).putDouble(weight);
        return buf.array();
    }

    /** Decodes a data message; {@link MalformedMessageException} for anything natsoak did not write. */
    public static Envelope decode(byte[] data) {
        if (data == null || data.length < HEADER_BYTES) {
            throw new MalformedMessageException("data message shorter than " + HEADER_BYTES + " bytes");
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(data);
            if (buf.getShort() != MAGIC || buf.get() != VERSION) {
                throw new MalformedMessageException("data message is not a natsoak envelope (bad magic or version)");
            }
            return new Envelope(buf.getInt(), buf.getLong(), buf.getInt(), buf.getLong(), buf.getLong(), buf.getDouble());
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new MalformedMessageException("data message is corrupt: " + e.getMessage());
        }
    }
}

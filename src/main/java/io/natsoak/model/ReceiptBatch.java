package io.natsoak.model;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Receipts one worker publishes in one receipts-stream message. */
public record ReceiptBatch(String worker, List<Receipt> receipts) {

    private static final short MAGIC = 0x4E52; // "NR"
    private static final byte VERSION = 1;
    private static final int MAX_WORKER_NAME = 255;
    public static final int MAX_RECEIPTS = 100_000;

    public ReceiptBatch {
        receipts = List.copyOf(receipts);
        byte[] name = worker.getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_WORKER_NAME) {
            throw new IllegalArgumentException("worker name longer than " + MAX_WORKER_NAME + " bytes");
        }
    }

    public byte[] encode() {
        byte[] name = worker.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(2 + 1 + 1 + name.length + 4 + receipts.size() * Receipt.BYTES);
        buf.putShort(MAGIC).put(VERSION).put((byte) name.length).put(name).putInt(receipts.size());
        for (Receipt r : receipts) {
            buf.putInt(r.partition()).putLong(r.sequence()).putInt(r.deliveryCount()).putLong(r.latencyMicros());
        }
        return buf.array();
    }

    public static ReceiptBatch decode(byte[] data) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(data);
            if (buf.getShort() != MAGIC || buf.get() != VERSION) {
                throw new MalformedMessageException("receipt batch has a bad magic or version");
            }
            byte[] name = new byte[Byte.toUnsignedInt(buf.get())];
            buf.get(name);
            int count = buf.getInt();
            if (count < 0 || count > MAX_RECEIPTS || count * (long) Receipt.BYTES != buf.remaining()) {
                throw new MalformedMessageException("receipt batch announces " + count + " receipts but carries " + buf.remaining() + " bytes");
            }
            List<Receipt> receipts = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                receipts.add(new Receipt(buf.getInt(), buf.getLong(), buf.getInt(), buf.getLong()));
            }
            return new ReceiptBatch(new String(name, StandardCharsets.UTF_8), receipts);
        } catch (BufferUnderflowException | NullPointerException e) {
            throw new MalformedMessageException("receipt batch is truncated");
        }
    }
}

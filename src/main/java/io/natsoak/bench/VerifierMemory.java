package io.natsoak.bench;

import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Receipt;
import io.natsoak.verifier.PartitionLedger;
import io.natsoak.verifier.Verification;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The verifier's memory, measured as the live heap before and after building many copies of a
 * state (heap used after full collections; meant for a JVM with -XX:+UseSerialGC, whose full
 * collection leaves exactly the live objects). Dividing by the number of copies gives bytes per
 * partition, or per sequence held out of order.
 */
final class VerifierMemory {

    private static final int GC_ROUNDS = 4;

    private VerifierMemory() {
    }

    /** Bytes per partition of a {@link Verification} after {@code messages} in-order receipts per partition. */
    static double perPartition(int partitions, int messages) throws InterruptedException {
        long before = liveHeap();
        Verification v = new Verification(partitions, 1, Duration.ofSeconds(30), System::nanoTime);
        for (int m = 1; m <= messages; m++) {
            for (int p = 0; p < partitions; p++) {
                v.onReceipt(new Receipt(p, m, 1, 1_500));
            }
        }
        long after = liveHeap();
        Reference.reachabilityFence(v);
        return (after - before) / (double) partitions;
    }

    /**
     * The same with the producers' marks history the verifier keeps for its validation window:
     * a mark per partition every second for twice the window, with expiry as the verifier runs it.
     */
    static double perPartitionWithMarks(int partitions, Duration window) throws InterruptedException {
        long before = liveHeap();
        AtomicLong clock = new AtomicLong();
        Verification v = new Verification(partitions, 1, window, clock::get);
        long seconds = 2 * window.toSeconds();
        for (long s = 1; s <= seconds; s++) {
            clock.set(Duration.ofSeconds(s).toNanos());
            Map<Integer, Long> marks = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                v.onReceipt(new Receipt(p, s, 1, 1_500));
                marks.put(p, s);
            }
            v.onMarks(new ProducerMarks(0, s * 1000, false, marks));
            v.expire();
        }
        long after = liveHeap();
        Reference.reachabilityFence(v);
        return (after - before) / (double) partitions;
    }

    /**
     * Bytes per sequence held above the watermark: {@code ledgers} ledgers, each missing
     * sequence 1 and holding 2..held+1.
     *
     * @return {measured bytes per held sequence, the ledger's own estimate per held sequence}
     */
    static double[] perHeldSequence(int ledgers, int held) throws InterruptedException {
        PartitionLedger[] empty = new PartitionLedger[ledgers];
        long before = liveHeap();
        for (int i = 0; i < ledgers; i++) {
            empty[i] = new PartitionLedger();
        }
        long emptyHeap = liveHeap();
        long estimateBefore = 0;
        for (PartitionLedger l : empty) {
            estimateBefore += l.retainedBytes();
        }
        for (PartitionLedger l : empty) {
            for (long s = 2; s <= held + 1; s++) {
                l.record(s);
            }
        }
        long heldHeap = liveHeap();
        long estimate = 0;
        for (PartitionLedger l : empty) {
            estimate += l.retainedBytes();
        }
        Reference.reachabilityFence(empty);
        double sequences = (double) ledgers * held;
        if (emptyHeap < before) {
            throw new IllegalStateException("the heap shrank while ledgers were added: the measurement is not reliable");
        }
        return new double[] {(heldHeap - emptyHeap) / sequences, (estimate - estimateBefore) / sequences};
    }

    private static long liveHeap() throws InterruptedException {
        for (int i = 0; i < GC_ROUNDS; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}

package io.natsoak.bench;

import io.natsoak.model.Receipt;
import io.natsoak.verifier.PartitionLedger;
import io.natsoak.verifier.Verification;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the verifier's receipt ingestion, one thread (so the score is per core).
 * Every benchmark method handles one batch of {@value #BATCH} receipts (a worker's default
 * batch) and JMH counts each receipt as an operation, so scores are receipts per second.
 * Receipts go round-robin over {@code partitions}; within a partition, sequences arrive in
 * blocks of {@code outOfOrder} shuffled by a fixed permutation (1: in order), so up to that
 * many sequences per partition are held above the watermark.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VerifierBenchmarks {

    static final int BATCH = 500;

    @Param({"1500"})
    public int partitions;

    @Param({"1", "64", "4096"})
    public int outOfOrder;

    private Verification verification;
    private PartitionLedger[] ledgers;
    private long[] blockBase;
    private int[] blockIndex;
    private int[] permutation;
    private int partition;

    @Setup(Level.Trial)
    public void setUp() {
        verification = new Verification(partitions, 1, Duration.ofSeconds(30), System::nanoTime);
        ledgers = new PartitionLedger[partitions];
        for (int p = 0; p < partitions; p++) {
            ledgers[p] = new PartitionLedger();
        }
        blockBase = new long[partitions];
        blockIndex = new int[partitions];
        permutation = permutation(outOfOrder, new Random(42));
    }

    /** The verifier's path for one receipt: its lock, the ledger, duplicate classification, the latency histogram. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void ingest() {
        for (int i = 0; i < BATCH; i++) {
            int p = nextPartition();
            verification.onReceipt(new Receipt(p, nextSequence(p), 1, 1_500));
        }
    }

    /** The per-partition ledger alone (watermark, bitset window): the data structure's own ceiling. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long ledger() {
        long firsts = 0;
        for (int i = 0; i < BATCH; i++) {
            int p = nextPartition();
            if (ledgers[p].record(nextSequence(p)) == PartitionLedger.Outcome.FIRST) {
                firsts++;
            }
        }
        return firsts;
    }

    private int nextPartition() {
        int p = partition;
        partition = p + 1 == partitions ? 0 : p + 1;
        return p;
    }

    private long nextSequence(int p) {
        int i = blockIndex[p];
        long seq = blockBase[p] + permutation[i] + 1;
        if (i + 1 == permutation.length) {
            blockIndex[p] = 0;
            blockBase[p] += permutation.length;
        } else {
            blockIndex[p] = i + 1;
        }
        return seq;
    }

    static int[] permutation(int n, Random random) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }
}

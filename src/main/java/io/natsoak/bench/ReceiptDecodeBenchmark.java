package io.natsoak.bench;

import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JMH: decoding one receipts-stream message of {@value VerifierBenchmarks#BATCH} receipts, the
 * step before ingestion; one thread, scores in receipts per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ReceiptDecodeBenchmark {

    private byte[] encoded;

    @Setup(Level.Trial)
    public void setUp() {
        List<Receipt> receipts = new ArrayList<>(VerifierBenchmarks.BATCH);
        for (int i = 0; i < VerifierBenchmarks.BATCH; i++) {
            receipts.add(new Receipt(i % 1_500, i + 1, 1, 1_500));
        }
        encoded = new ReceiptBatch("worker-0", receipts).encode();
    }

    @Benchmark
    @OperationsPerInvocation(VerifierBenchmarks.BATCH)
    public ReceiptBatch decode() {
        return ReceiptBatch.decode(encoded);
    }
}

package io.natsoak.worker;

/**
 * A test fault ({@link WorkerService#withholdReceipts}): messages that are processed, and their
 * partition's position moves past them, but whose receipt is never sent. The verifier must call
 * them lost in the pipeline.
 */
@FunctionalInterface
public interface WithheldReceipts {

    WithheldReceipts NONE = (partition, sequence) -> false;

    boolean withhold(int partition, long sequence);
}

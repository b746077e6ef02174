package io.natsoak.verifier;

import io.natsoak.model.MalformedMessageException;
import io.natsoak.model.ReceiptBatch;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * The verifier's position on the receipts stream and the {@link Verification} it produced,
 * changed together under one lock: {@code position} is the stream sequence up to which every
 * receipt batch has been applied. A checkpoint captures both at one instant, so a restored
 * verifier that reads on from {@code position + 1} applies every batch exactly once.
 *
 * <p>The receipts stream is read in stream order, so a batch at or below the position was
 * already applied (a reading restarted by the watchdog delivers some again) and is skipped. A
 * sequence beyond {@code position + 1} means the stream no longer holds the ones between
 * (expired by max age, or deleted): their receipts can never be applied, which the log says.
 */
final class AppliedReceipts {

    private static final Logger LOG = Logger.getLogger(AppliedReceipts.class);

    private final Verification verification;
    /** Checkpointed with the verification, so a restarted verifier keeps every process' baseline; null: none. */
    private final ResourceGrowth resources;
    private long position;

    AppliedReceipts(Verification verification) {
        this(verification, null);
    }

    AppliedReceipts(Verification verification, ResourceGrowth resources) {
        this.verification = verification;
        this.resources = resources;
    }

    /** Dispatcher thread: applies the batch stored at {@code streamSequence} unless it already was. */
    synchronized boolean apply(long streamSequence, byte[] data) {
        return apply(streamSequence, data, 0);
    }

    /** @param storedAtMillis when the receipts stream stored the batch (epoch ms; 0 unknown) */
    synchronized boolean apply(long streamSequence, byte[] data, long storedAtMillis) {
        if (streamSequence <= position) {
            return false;
        }
        if (streamSequence > position + 1) {
            LOG.warnf("receipts-stream sequences %d-%d are gone (expired by max age, or deleted) before the verifier read them; "
                    + "the messages they receipted cannot be verified", position + 1, streamSequence - 1);
        }
        try {
            verification.onBatch(ReceiptBatch.decode(data), storedAtMillis);
        } catch (MalformedMessageException e) {
            LOG.warnf("ignoring a malformed receipt batch at receipts-stream sequence %d: %s", streamSequence, e.getMessage());
        }
        position = streamSequence;
        return true;
    }

    /** The receipts-stream sequence up to which every batch has been applied (0: none yet). */
    synchronized long position() {
        return position;
    }

    /** The verification and the position at one instant. */
    synchronized Checkpoint capture(String runId, long nowMillis) {
        return new Checkpoint(runId, nowMillis, position, verification.snapshot(), resources == null ? List.of() : resources.snapshot());
    }

    /**
     * Replaces the state with a checkpoint's, before anything is read.
     *
     * @throws IllegalArgumentException if the checkpoint's state is inconsistent (nothing is changed then)
     */
    synchronized void restore(Checkpoint checkpoint) {
        verification.restore(checkpoint.state());
        if (resources != null) {
            resources.restore(checkpoint.resources());
        }
        position = checkpoint.receiptsPosition();
    }
}

package io.natsoak.verifier;

import io.natsoak.model.Report;
import io.natsoak.nats.Retry;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Finds out, from the data stream itself, who lost each gap of the final report:
 * <ul>
 *   <li>not in the stream any more: the server lost it (a producer's PubAck said it was stored);</li>
 *   <li>in the stream at or below how far the partition was consumed (its committed position, or a
 *       later message of the partition that was processed): natsoak's pipeline lost it;</li>
 *   <li>in the stream after that: never processed (a backlog), not a loss.</li>
 * </ul>
 * A read that fails (the stream's leader is electing) is retried for {@code patience}; a range
 * that still cannot be read, or that lies beyond the work bound (ranges, messages read, time), is
 * {@code undetermined} rather than guessed. Every gap ends up in exactly one class.
 */
final class GapAttributor {

    private static final Logger LOG = Logger.getLogger(GapAttributor.class);
    static final int SAMPLES = 20;

    /** What the attribution reads: the data stream and the partitions' committed positions. */
    interface StreamFacts {

        /** The partition's committed consumption position (a data stream sequence); 0 when none was committed. */
        long committedPosition(int partition) throws Exception;

        /**
         * The messages of the partition's subject stored where its sequences {@code from..to} can be,
         * reading at most {@code budget} messages; {@code complete} is false when the budget ended the read.
         */
        Scan scan(int partition, long from, long to, long budget) throws Exception;
    }

    /** One stored message of a partition: its partition sequence and its data stream sequence. */
    record Stored(long sequence, long streamSequence) {
    }

    /** @param read messages read, counted against the budget */
    record Scan(List<Stored> messages, boolean complete, long read) {
    }

    /** Is this partition sequence verified (a receipt came)? */
    @FunctionalInterface
    interface Verified {
        boolean test(int partition, long sequence);
    }

    /** The work bound: gap ranges looked at, messages read, total time; and how long a failing read is retried. */
    record Limits(int maxRanges, long maxMessages, Duration maxTime, Duration patience) {
        static final Limits DEFAULT = new Limits(10_000, 1_000_000, Duration.ofMinutes(3), Duration.ofSeconds(30));
    }

    private final StreamFacts facts;
    private final Verified verified;
    private final Limits limits;
    private final LongSupplier nanoClock;
    /** Set once a read failed for the whole patience: the rest is not tried (each would wait as long). */
    private String unreadable;

    GapAttributor(StreamFacts facts, Verified verified, Limits limits, LongSupplier nanoClock) {
        this.facts = facts;
        this.verified = verified;
        this.limits = limits;
        this.nanoClock = nanoClock;
    }

    /** Every gap undetermined, {@code because} (nothing can be read). */
    static Report.GapAttribution unattributed(List<Report.GapRange> ranges, long totalGaps, String because) {
        Tally tally = new Tally();
        long covered = 0;
        for (Report.GapRange r : ranges) {
            covered += r.to() - r.from() + 1;
            tally.undetermined(r, because);
        }
        tally.undeterminedCount(Math.max(0, totalGaps - covered), because);
        return tally.result();
    }

    /**
     * @param ranges    the report's gap ranges (at most {@code maxRanges} are looked at)
     * @param totalGaps the report's gap count: whatever the ranges do not cover is undetermined
     */
    Report.GapAttribution attribute(List<Report.GapRange> ranges, long totalGaps) {
        long deadline = nanoClock.getAsLong() + limits.maxTime().toNanos();
        unreadable = null;
        Tally tally = new Tally();
        Map<Integer, Long> positions = new HashMap<>();
        long budget = limits.maxMessages();
        long covered = 0;
        for (int i = 0; i < ranges.size(); i++) {
            Report.GapRange r = ranges.get(i);
            covered += r.to() - r.from() + 1;
            if (unreadable != null) {
                tally.undetermined(r, unreadable);
            } else if (i >= limits.maxRanges()) {
                tally.undetermined(r, "more than " + limits.maxRanges() + " gap ranges (the attribution's work bound)");
            } else if (nanoClock.getAsLong() > deadline) {
                tally.undetermined(r, "the attribution's time bound (" + limits.maxTime().toSeconds() + " s) was reached");
            } else if (budget <= 0) {
                tally.undetermined(r, "the attribution's bound of " + limits.maxMessages() + " messages read was reached");
            } else {
                budget -= attributeRange(r, budget, positions, tally);
            }
        }
        if (totalGaps > covered) {
            // Verification.decided lists at most maxRanges ranges; the gaps beyond them are counted, not read.
            tally.undeterminedCount(totalGaps - covered, "more than " + limits.maxRanges() + " gap ranges (the attribution's work bound)");
        }
        return tally.result();
    }

    /** Classifies one range; returns the messages it read. */
    private long attributeRange(Report.GapRange r, long budget, Map<Integer, Long> positions, Tally tally) {
        int p = r.partition();
        Scan scan;
        long position;
        try {
            scan = Retry.within(limits.patience(), "reading partition " + p + " of the data stream",
                    () -> facts.scan(p, r.from(), r.to(), budget));
            Long known = positions.get(p);
            if (known == null) {
                known = Retry.within(limits.patience(), "reading the position of partition " + p, () -> facts.committedPosition(p));
                positions.put(p, known);
            }
            position = known;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tally.undetermined(r, "the verifier was interrupted while reading the data stream");
            return 0;
        } catch (Exception e) {
            LOG.warnf("cannot attribute the gaps %s: %s", GapReasons.describe(r), e.toString());
            unreadable = "the data stream could not be read within " + limits.patience().toSeconds() + " s (" + e.getMessage() + ")";
            tally.undetermined(r, unreadable);
            return 0;
        }
        if (!scan.complete()) {
            tally.undetermined(r, "the attribution's bound of " + limits.maxMessages() + " messages read was reached");
            return scan.read();
        }
        // How far consumption went: the committed position, or a later-stored message that was processed.
        long passed = position;
        TreeMap<Long, Long> held = new TreeMap<>();
        for (Stored m : scan.messages()) {
            if (m.sequence() >= r.from() && m.sequence() <= r.to()) {
                held.merge(m.sequence(), m.streamSequence(), Math::min);
            } else if (verified.test(p, m.sequence())) {
                passed = Math.max(passed, m.streamSequence());
            }
        }
        long next = r.from();
        for (Map.Entry<Long, Long> h : held.entrySet()) {
            if (h.getKey() > next) {
                tally.add(Cause.LOST_BY_SERVER, p, next, h.getKey() - 1);
            }
            tally.add(h.getValue() <= passed ? Cause.LOST_IN_PIPELINE : Cause.UNPROCESSED, p, h.getKey(), h.getKey());
            next = h.getKey() + 1;
        }
        if (next <= r.to()) {
            tally.add(Cause.LOST_BY_SERVER, p, next, r.to());
        }
        return scan.read();
    }

    enum Cause { LOST_BY_SERVER, LOST_IN_PIPELINE, UNPROCESSED, UNDETERMINED }

    /** Counts per cause, with up to {@link #SAMPLES} merged ranges each. */
    private static final class Tally {
        private final long[] counts = new long[Cause.values().length];
        private final List<List<Report.GapRange>> samples = new ArrayList<>();
        private String undeterminedBecause;

        Tally() {
            for (int i = 0; i < counts.length; i++) {
                samples.add(new ArrayList<>());
            }
        }

        void add(Cause cause, int partition, long from, long to) {
            counts[cause.ordinal()] += to - from + 1;
            List<Report.GapRange> list = samples.get(cause.ordinal());
            Report.GapRange last = list.isEmpty() ? null : list.get(list.size() - 1);
            if (last != null && last.partition() == partition && last.to() + 1 == from) {
                list.set(list.size() - 1, new Report.GapRange(partition, last.from(), to));
            } else if (list.size() < SAMPLES) {
                list.add(new Report.GapRange(partition, from, to));
            }
        }

        void undetermined(Report.GapRange r, String because) {
            add(Cause.UNDETERMINED, r.partition(), r.from(), r.to());
            if (undeterminedBecause == null) {
                undeterminedBecause = because;
            }
        }

        void undeterminedCount(long n, String because) {
            counts[Cause.UNDETERMINED.ordinal()] += n;
            if (undeterminedBecause == null) {
                undeterminedBecause = because;
            }
        }

        Report.GapAttribution result() {
            return new Report.GapAttribution(counts[0], counts[1], counts[2], counts[3], samples.get(0), samples.get(1), samples.get(2),
                    samples.get(3), undeterminedBecause);
        }
    }
}

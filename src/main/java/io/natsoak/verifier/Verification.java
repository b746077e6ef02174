package io.natsoak.verifier;

import io.natsoak.model.ProducerMarks;
import io.natsoak.model.Progress;
import io.natsoak.model.Receipt;
import io.natsoak.model.ReceiptBatch;
import io.natsoak.model.Report;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The verifier's state: which sequences of which partition were processed, what the producers
 * say they published, and what that means. Pure logic with an injected clock; thread-safe (all
 * methods synchronised: receipts, marks and reports arrive on different threads).
 * <p>
 * A sequence the producers acknowledged but no receipt covers is "in flight" until the producer
 * acknowledged it more than the validation window ago; then it is a gap (a loss). A receipt
 * that arrives for a gap later turns it back into a verified sequence. A second receipt for a
 * sequence is a duplicate: "redelivered" when the delivery count of either receipt says natsoak
 * may have delivered it before (a crash, fence or timeout between processing and receipting),
 * otherwise "unexplained" (see {@link ReplayRanges} for why either, not just the later one).
 */
public final class Verification {

    private static final long HIGHEST_LATENCY_MICROS = Duration.ofHours(24).toNanos() / 1000;
    private static final int GAP_SAMPLES = 20;
    /** How long (in validation windows) a replayed range explains a late duplicate of it. */
    private static final long REPLAY_MEMORY_WINDOWS = 10;

    private final PartitionLedger[] ledgers;
    private final ReplayRanges[] replays;
    private final long[] published;
    /** Per partition: (high-water mark, time it was first seen) steps, oldest first. */
    private final ArrayDeque<long[]>[] markHistory;
    private final Map<Integer, ProducerMarks> latestMarks = new HashMap<>();
    private final int producers;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final Histogram latency = new Histogram(HIGHEST_LATENCY_MICROS, 3);
    /**
     * Start-up: first deliveries that were due before their partition was first consumed (the
     * backlog producers built while workers were still starting). Their latency is how long the
     * pipeline took to start, not how fast it runs, so it is kept apart from {@link #latency}.
     */
    private final Histogram startupLatency = new Histogram(HIGHEST_LATENCY_MICROS, 3);
    /** Per partition: when its first receipt was stored (epoch ms), 0 before. */
    private final long[] firstProcessedAtMillis;

    private java.util.function.LongConsumer latencyListener = micros -> { };
    private long received;
    private long redelivered;
    private long unexplained;
    private long invalid;

    @SuppressWarnings("unchecked")
    public Verification(int partitions, int producers, Duration window, LongSupplier nanoClock) {
        this.ledgers = new PartitionLedger[partitions];
        this.replays = new ReplayRanges[partitions];
        this.published = new long[partitions];
        this.firstProcessedAtMillis = new long[partitions];
        this.markHistory = new ArrayDeque[partitions];
        for (int p = 0; p < partitions; p++) {
            ledgers[p] = new PartitionLedger();
            replays[p] = new ReplayRanges();
            markHistory[p] = new ArrayDeque<>();
        }
        this.producers = producers;
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
    }

    /** Also tells every first-delivery latency (microseconds) to {@code listener} (a metrics timer). */
    public synchronized void onLatency(java.util.function.LongConsumer listener) {
        this.latencyListener = listener;
    }

    public synchronized void onBatch(ReceiptBatch batch) {
        onBatch(batch, 0);
    }

    /** @param storedAtMillis when the receipts stream stored the batch (epoch ms; 0 unknown: no start-up is told apart) */
    public synchronized void onBatch(ReceiptBatch batch, long storedAtMillis) {
        for (Receipt r : batch.receipts()) {
            onReceipt(r, storedAtMillis);
        }
    }

    public synchronized void onReceipt(Receipt r) {
        onReceipt(r, 0);
    }

    /**
     * @param storedAtMillis when the receipt's batch was stored, about when its processing ended:
     *                       minus the receipt's latency it is when the message was due, which
     *                       tells the start-up backlog (due before its partition was first
     *                       consumed) from steady work
     */
    public synchronized void onReceipt(Receipt r, long storedAtMillis) {
        received++;
        if (r.partition() < 0 || r.partition() >= ledgers.length || r.sequence() < 1) {
            invalid++;
            return;
        }
        PartitionLedger.Outcome outcome = ledgers[r.partition()].record(r.sequence());
        ReplayRanges replayed = replays[r.partition()];
        boolean replay = r.deliveryCount() > 1;
        if (replay) {
            replayed.add(r.sequence(), nanoClock.getAsLong());
        }
        if (outcome == PartitionLedger.Outcome.DUPLICATE) {
            // Explained when either processing was a replay, whichever receipt came first.
            if (replay || replayed.contains(r.sequence())) {
                redelivered++;
            } else {
                unexplained++;
            }
        } else {
            long micros = Math.min(Math.max(0, r.latencyMicros()), HIGHEST_LATENCY_MICROS);
            if (startUp(r.partition(), storedAtMillis, micros)) {
                startupLatency.recordValue(micros);
            } else {
                latency.recordValue(micros);
                latencyListener.accept(micros);
            }
        }
    }

    /** A first delivery due before its partition was first consumed is start-up; the partition's first receipt always is. */
    private boolean startUp(int p, long storedAtMillis, long latencyMicros) {
        if (storedAtMillis <= 0) {
            return false;
        }
        if (firstProcessedAtMillis[p] == 0) {
            firstProcessedAtMillis[p] = storedAtMillis;
            return true;
        }
        return storedAtMillis - latencyMicros / 1000 < firstProcessedAtMillis[p];
    }

    /**
     * The pipeline's start, relative to {@code runStartMillis}: the first receipt, the moment the
     * last partition was first consumed (null until every partition was), and the backlog.
     */
    public synchronized Report.Startup startup(long runStartMillis) {
        long first = 0;
        long last = 0;
        int started = 0;
        for (long at : firstProcessedAtMillis) {
            if (at > 0) {
                started++;
                first = first == 0 ? at : Math.min(first, at);
                last = Math.max(last, at);
            }
        }
        Double firstSeconds = first == 0 ? null : Math.max(0, first - runStartMillis) / 1000.0;
        Double readySeconds = started < firstProcessedAtMillis.length || last == 0 ? null : Math.max(0, last - runStartMillis) / 1000.0;
        return new Report.Startup(firstSeconds, readySeconds, started, startupLatency.getTotalCount(), latencyOf(startupLatency));
    }

    private static Report.Latency latencyOf(Histogram h) {
        return h.getTotalCount() == 0 ? new Report.Latency(0, 0, 0)
                : new Report.Latency(h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
    }

    public synchronized void onMarks(ProducerMarks marks) {
        long now = nanoClock.getAsLong();
        latestMarks.put(marks.producer(), marks);
        for (Map.Entry<Integer, Long> e : marks.marks().entrySet()) {
            int p = e.getKey();
            if (p < 0 || p >= ledgers.length) {
                continue;
            }
            long mark = e.getValue();
            if (mark > published[p]) {
                published[p] = mark;
                markHistory[p].addLast(new long[] {mark, now});
            }
        }
    }

    /** Turns sequences acknowledged more than the window ago, and still unverified, into gaps. */
    public synchronized long expire() {
        long now = nanoClock.getAsLong();
        long cutoff = now - windowNanos;
        long newGaps = 0;
        for (int p = 0; p < ledgers.length; p++) {
            replays[p].forgetOlderThan(now - REPLAY_MEMORY_WINDOWS * windowNanos);
            long upTo = 0;
            ArrayDeque<long[]> history = markHistory[p];
            while (!history.isEmpty() && history.peekFirst()[1] <= cutoff) {
                upTo = history.pollFirst()[0];
            }
            if (upTo > 0) {
                newGaps += ledgers[p].expireUpTo(upTo);
            }
        }
        return newGaps;
    }

    /** The end of the run: everything the producers acknowledged and nobody verified is lost. */
    public synchronized void finish() {
        for (int p = 0; p < ledgers.length; p++) {
            ledgers[p].expireUpTo(published[p]);
            markHistory[p].clear();
        }
    }

    /** True when every producer has said it published its last message. */
    public synchronized boolean producersDone() {
        return producersFinished() == producers;
    }

    private int producersFinished() {
        int done = 0;
        for (int i = 0; i < producers; i++) {
            ProducerMarks m = latestMarks.get(i);
            if (m != null && m.last()) {
                done++;
            }
        }
        return done;
    }

    /** The running totals (published by the producers' marks, verified) at {@code atMillis}. */
    public synchronized Progress progress(long atMillis) {
        long totalPublished = 0;
        long verified = 0;
        for (int p = 0; p < ledgers.length; p++) {
            totalPublished += published[p];
            verified += ledgers[p].verified();
        }
        return new Progress(atMillis, totalPublished, verified);
    }

    /** Published sequences not verified: in flight plus gaps. */
    public synchronized long unverified() {
        long missing = 0;
        for (int p = 0; p < ledgers.length; p++) {
            missing += ledgers[p].missingUpTo(published[p]) + ledgers[p].gaps();
        }
        return missing;
    }

    public synchronized long inFlight() {
        long missing = 0;
        for (int p = 0; p < ledgers.length; p++) {
            missing += ledgers[p].missingUpTo(published[p]);
        }
        return missing;
    }

    /**
     * Everything the verification knows, copied at one instant (for the checkpoint). Replayed
     * ranges carry their age instead of a time: nano clocks do not survive a process.
     */
    record Snapshot(int producers, PartitionLedger.State[] ledgers, long[][][] replays, long[] published,
                    List<ProducerMarks> latestMarks, long received, long redelivered, long unexplained, long invalid,
                    Histogram latency, long[] firstProcessedAtMillis, Histogram startupLatency) {

        /** A snapshot of a format without start-up (checkpoint version 1): every partition counts as started. */
        Snapshot(int producers, PartitionLedger.State[] ledgers, long[][][] replays, long[] published, List<ProducerMarks> latestMarks,
                 long received, long redelivered, long unexplained, long invalid, Histogram latency) {
            this(producers, ledgers, replays, published, latestMarks, received, redelivered, unexplained, invalid, latency, null,
                    new Histogram(HIGHEST_LATENCY_MICROS, 3));
        }
    }

    synchronized Snapshot snapshot() {
        long now = nanoClock.getAsLong();
        PartitionLedger.State[] states = new PartitionLedger.State[ledgers.length];
        long[][][] replayed = new long[ledgers.length][][];
        for (int p = 0; p < ledgers.length; p++) {
            states[p] = ledgers[p].state();
            replayed[p] = replays[p].export(now);
        }
        List<ProducerMarks> marks = new ArrayList<>(latestMarks.values());
        marks.sort(java.util.Comparator.comparingInt(ProducerMarks::producer));
        return new Snapshot(producers, states, replayed, published.clone(), List.copyOf(marks), received, redelivered, unexplained,
                invalid, latency.copy(), firstProcessedAtMillis.clone(), startupLatency.copy());
    }

    /**
     * Replaces this verification's state with a snapshot's (a restarted verifier, before it reads
     * anything). Mark history times cannot be restored (nano clocks), so every restored published
     * sequence counts as acknowledged now: the validation window starts again, which can only
     * delay a gap, never invent one.
     *
     * @throws IllegalArgumentException if the snapshot does not fit (partitions, producers) or is inconsistent
     */
    synchronized void restore(Snapshot s) {
        if (s.ledgers().length != ledgers.length || s.replays().length != ledgers.length || s.published().length != ledgers.length) {
            throw new IllegalArgumentException("the snapshot has " + s.ledgers().length + " partitions, this verification " + ledgers.length);
        }
        if (s.producers() != producers) {
            throw new IllegalArgumentException("the snapshot has " + s.producers() + " producers, this verification " + producers);
        }
        if (s.received() < 0 || s.redelivered() < 0 || s.unexplained() < 0 || s.invalid() < 0) {
            throw new IllegalArgumentException("a counter is negative");
        }
        long now = nanoClock.getAsLong();
        PartitionLedger[] restoredLedgers = new PartitionLedger[ledgers.length];
        ReplayRanges[] restoredReplays = new ReplayRanges[ledgers.length];
        for (int p = 0; p < ledgers.length; p++) {
            if (s.published()[p] < 0) {
                throw new IllegalArgumentException("partition " + p + ": published mark " + s.published()[p] + " is negative");
            }
            try {
                restoredLedgers[p] = PartitionLedger.restore(s.ledgers()[p]);
                restoredReplays[p] = ReplayRanges.restore(s.replays()[p], now);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("partition " + p + ": " + e.getMessage(), e);
            }
        }
        for (ProducerMarks m : s.latestMarks()) {
            if (m.producer() < 0 || m.producer() >= producers) {
                throw new IllegalArgumentException("marks of producer " + m.producer() + ", which does not exist");
            }
        }
        Histogram restoredLatency = new Histogram(HIGHEST_LATENCY_MICROS, 3);
        Histogram restoredStartup = new Histogram(HIGHEST_LATENCY_MICROS, 3);
        try {
            restoredLatency.add(s.latency());
            if (s.startupLatency() != null) {
                restoredStartup.add(s.startupLatency());
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("a latency histogram holds values above " + HIGHEST_LATENCY_MICROS + " µs");
        }
        long[] firstProcessed = s.firstProcessedAtMillis();
        if (firstProcessed != null && firstProcessed.length != ledgers.length) {
            throw new IllegalArgumentException("the snapshot has first-processed times of " + firstProcessed.length + " partitions, this verification "
                    + ledgers.length);
        }
        // Everything checked: only now is any state replaced.
        latestMarks.clear();
        for (ProducerMarks m : s.latestMarks()) {
            latestMarks.put(m.producer(), m);
        }
        for (int p = 0; p < ledgers.length; p++) {
            ledgers[p] = restoredLedgers[p];
            replays[p] = restoredReplays[p];
            published[p] = s.published()[p];
            markHistory[p].clear();
            if (published[p] > ledgers[p].watermark()) {
                markHistory[p].addLast(new long[] {published[p], now});
            }
        }
        received = s.received();
        redelivered = s.redelivered();
        unexplained = s.unexplained();
        invalid = s.invalid();
        latency.reset();
        latency.add(restoredLatency);
        startupLatency.reset();
        startupLatency.add(restoredStartup);
        for (int p = 0; p < ledgers.length; p++) {
            // Without times (an older checkpoint), a partition with anything verified has started: nothing more is start-up there.
            firstProcessedAtMillis[p] = firstProcessed != null ? firstProcessed[p] : ledgers[p].verified() > 0 ? 1 : 0;
        }
    }

    /** True when a receipt for the partition's {@code sequence} was recorded. */
    public synchronized boolean isVerified(int partition, long sequence) {
        return partition >= 0 && partition < ledgers.length && ledgers[partition].isVerified(sequence);
    }

    /** The final report and its gap ranges, taken at the same instant, so an attribution of those ranges matches the report. */
    record Decided(Report report, List<Report.GapRange> gapRanges) {
    }

    /** The final report with every gap range (at most {@code maxRanges} of them, partition by partition). */
    synchronized Decided decided(String runId, double durationSeconds, int maxRanges) {
        Report report = report(runId, durationSeconds, true);
        List<Report.GapRange> ranges = new ArrayList<>();
        for (int p = 0; p < ledgers.length && ranges.size() < maxRanges; p++) {
            for (long[] range : ledgers[p].gapRanges(maxRanges - ranges.size())) {
                ranges.add(new Report.GapRange(p, range[0], range[1]));
            }
        }
        return new Decided(report, List.copyOf(ranges));
    }

    public synchronized Report report(String runId, double durationSeconds, boolean last) {
        long totalPublished = 0;
        long verified = 0;
        long gaps = 0;
        long inFlight = 0;
        List<Report.GapRange> samples = new ArrayList<>();
        for (int p = 0; p < ledgers.length; p++) {
            PartitionLedger l = ledgers[p];
            totalPublished += published[p];
            verified += l.verified();
            gaps += l.gaps();
            inFlight += l.missingUpTo(published[p]);
            if (l.gaps() > 0 && samples.size() < GAP_SAMPLES) {
                for (long[] range : l.gapRanges(GAP_SAMPLES - samples.size())) {
                    samples.add(new Report.GapRange(p, range[0], range[1]));
                }
            }
        }
        List<String> reasons = new ArrayList<>();
        if (gaps > 0) {
            reasons.add(GapReasons.unattributed(gaps, samples.get(0)));
        }
        if (unexplained > 0) {
            reasons.add(unexplained + " unexplained duplicate(s): processed twice without a redelivery");
        }
        if (invalid > 0) {
            reasons.add(invalid + " receipt(s) for partitions or sequences that do not exist");
        }
        if (last && totalPublished == 0) {
            reasons.add("nothing was published");
        }
        int finished = producersFinished();
        if (last && finished < producers) {
            reasons.add((producers - finished) + " of " + producers + " producer(s) never reported their last message");
        }
        double throughput = durationSeconds > 0 ? verified / durationSeconds : 0;
        Report.Latency lat = latencyOf(latency);
        return new Report(reasons.isEmpty() ? Report.PASS : Report.FAIL, reasons, last, runId, durationSeconds, totalPublished,
                received, verified, gaps, new Report.Duplicates(redelivered, unexplained), ledgers.length, inFlight, throughput, lat,
                invalid, finished, samples, Map.of());
    }
}

package io.natsoak.verifier;

import io.natsoak.model.Report;

import java.util.ArrayList;
import java.util.List;

/**
 * The FAIL reasons for gaps: one while they are not attributed, one per cause once they are.
 * Worded so that only a real loss says "lost": a message still waiting in the stream is a
 * backlog, and users act on each differently (docs/reliability.md, "Who lost a gap").
 */
final class GapReasons {

    private GapReasons() {
    }

    static String unattributed(long gaps, Report.GapRange first) {
        return gaps + " message(s) lost: acknowledged by the producer, never processed (first: " + describe(first) + ")";
    }

    /** One reason per cause with a count above zero, in the order: server, pipeline, unprocessed, undetermined. */
    static List<String> attributed(Report.GapAttribution a) {
        List<String> out = new ArrayList<>();
        if (a.lostByServer() > 0) {
            out.add(a.lostByServer() + " message(s) lost by the server: JetStream acknowledged them to the producer and the data stream"
                    + " no longer holds them (first: " + first(a.lostByServerSamples()) + ")");
        }
        if (a.lostInPipeline() > 0) {
            out.add(a.lostInPipeline() + " message(s) lost in the pipeline: the data stream holds them and consumption went past them,"
                    + " but no receipt came (natsoak's fault; first: " + first(a.lostInPipelineSamples()) + ")");
        }
        if (a.unprocessed() > 0) {
            out.add(a.unprocessed() + " message(s) never processed: still in the data stream after their partition's consumption"
                    + " position at the end (a backlog, an overloaded or stopped worker; first: " + first(a.unprocessedSamples()) + ")");
        }
        if (a.undetermined() > 0) {
            out.add(a.undetermined() + " missing message(s) not attributed: " + a.undeterminedBecause() + " (first: "
                    + first(a.undeterminedSamples()) + ")");
        }
        return out;
    }

    /** {@code reasons} with the unattributed gap reason replaced, in its place, by the attributed ones. */
    static List<String> replace(List<String> reasons, Report report, Report.GapAttribution a) {
        if (report.gaps() == 0 || report.gapSamples().isEmpty()) {
            return reasons;
        }
        String unattributed = unattributed(report.gaps(), report.gapSamples().get(0));
        List<String> out = new ArrayList<>();
        for (String r : reasons) {
            if (r.equals(unattributed)) {
                out.addAll(attributed(a));
            } else {
                out.add(r);
            }
        }
        return out;
    }

    private static String first(List<Report.GapRange> samples) {
        return samples.isEmpty() ? "none listed" : describe(samples.get(0));
    }

    static String describe(Report.GapRange r) {
        return "partition " + r.partition() + " sequences " + r.from() + "-" + r.to();
    }
}

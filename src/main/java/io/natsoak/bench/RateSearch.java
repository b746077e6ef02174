package io.natsoak.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the highest total rate a pipeline sustains, with as few trials as possible (each trial
 * is a whole run of a minute or more). Pure logic: the trial runner is given.
 * <ol>
 *   <li>Up: from the starting rate, each sustained trial multiplies the rate by {@value #GROW}
 *       until one is not sustained.</li>
 *   <li>Down, if the very first trial was not sustained: the next rate is 90 % of what the
 *       failed trial really verified per second (at least {@value #SHRINK} times lower), until
 *       one is sustained; below {@code floor} the search gives up.</li>
 *   <li>Bisect between the highest sustained and the lowest failed rate until they are within
 *       {@value #PRECISION_PERCENT} % of each other.</li>
 * </ol>
 * At most {@code maxTrials} trials: the answer is then the highest sustained rate seen.
 */
final class RateSearch {

    static final double GROW = 1.5;
    static final double SHRINK = 0.7;
    static final double PRECISION_PERCENT = 10;

    /** What a trial at one rate found. */
    record Trial(double rate, boolean sustained, double achieved, Object detail) {
    }

    @FunctionalInterface
    interface Runner {
        Trial run(double rate) throws Exception;
    }

    /** @param best the highest sustained rate, 0 if none was */
    record Result(double best, double lowestFailed, List<Trial> trials) {
    }

    private RateSearch() {
    }

    static Result search(double start, double floor, int maxTrials, Runner runner) throws Exception {
        double lo = 0;
        double hi = Double.POSITIVE_INFINITY;
        double rate = round(start);
        List<Trial> trials = new ArrayList<>();
        while (trials.size() < maxTrials) {
            Trial t = runner.run(rate);
            trials.add(t);
            if (t.sustained()) {
                lo = Math.max(lo, rate);
            } else {
                hi = Math.min(hi, rate);
            }
            double next;
            if (hi == Double.POSITIVE_INFINITY) {
                next = lo * GROW;
            } else if (lo == 0) {
                next = Math.min(rate * SHRINK, 0.9 * t.achieved());
                if (next < floor) {
                    break;
                }
            } else {
                if (hi <= lo * (1 + PRECISION_PERCENT / 100)) {
                    break;
                }
                next = (lo + hi) / 2;
            }
            next = round(next);
            if (next <= lo || next >= hi) {
                break;
            }
            rate = next;
        }
        return new Result(lo, hi, trials);
    }

    /** Two significant digits (and whole messages): rates that read well in a table and repeat across runs. */
    static double round(double rate) {
        if (rate < 10) {
            return Math.max(1, Math.round(rate));
        }
        double scale = Math.pow(10, Math.floor(Math.log10(rate)) - 1);
        return Math.round(rate / scale) * scale;
    }
}

package io.natsoak.bench;

import java.util.List;
import java.util.Map;

/**
 * What one scenario measured, as written to {@code <out>/<scenario>.json}. Field names are a
 * contract for whoever compares runs: add fields, never rename them.
 *
 * @param command    the exact command that reproduces this run
 * @param smoke      true for the test suite's tiny sizes: the figures then mean nothing
 * @param conditions how busy the machine was with other work while this ran
 * @param details    scenario-specific raw data (steps of the rate search, per-kill durations, per-process samples)
 */
public record BenchResult(String scenario, String date, String command, boolean smoke, Machine machine, Conditions conditions,
                          List<Figure> figures, Map<String, Object> details) {

    /**
     * @param loadBefore     one-minute load average when the scenario started
     * @param loadAfter      the same when it ended
     * @param othersPercent  CPU share of processes outside the benchmark over the whole scenario
     * @param underLoad      other processes used enough CPU to distort the figures
     */
    public record Conditions(double loadBefore, double loadAfter, double othersPercent, boolean underLoad) {
    }
}

package io.natsoak.bench;

import java.util.List;
import java.util.Map;

/** One benchmark scenario of {@code ./natsoak bench}: measures, and says what it measured. */
interface Scenario {

    String name();

    /** Runs the full measurement, or the tiny one when {@link BenchContext#smoke()}. */
    Measured run(BenchContext ctx) throws Exception;

    /**
     * @param passed false when a correctness check inside the benchmark failed (a loss, a FAIL
     *               verdict): the command then exits 1. Goals not met do not fail it: they are figures.
     */
    record Measured(List<Figure> figures, Map<String, Object> details, boolean passed) {
    }
}

package io.natsoak.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The pipeline's rate search against a simulated pipeline whose capacity is known. */
class RateSearchTest {

    /** A pipeline that sustains any rate up to its capacity and, above it, verifies exactly its capacity. */
    private static RateSearch.Runner pipeline(double capacity, List<Double> tried) {
        return rate -> {
            tried.add(rate);
            return new RateSearch.Trial(rate, rate <= capacity, Math.min(rate, capacity), null);
        };
    }

    @ParameterizedTest(name = "start {0}, capacity {1}")
    @CsvSource({"10000, 30000", "10000, 9000", "20000, 3000", "500, 4000", "18000, 18000", "100, 150"})
    void findsTheCapacityWithinTheSearchPrecisionInFewTrials(double start, double capacity) throws Exception {
        List<Double> tried = new ArrayList<>();
        RateSearch.Result r = RateSearch.search(start, 50, 12, pipeline(capacity, tried));
        assertThat(r.best()).isPositive().isLessThanOrEqualTo(capacity);
        // the answer is within the precision (and the two-digit rounding) of the true capacity
        assertThat(r.best()).isGreaterThanOrEqualTo(capacity / (1 + RateSearch.PRECISION_PERCENT / 100) * 0.94);
        assertThat(tried).hasSizeLessThanOrEqualTo(12).doesNotHaveDuplicates();
        assertThat(r.trials()).hasSameSizeAs(tried);
    }

    @Test
    void givesUpBelowTheFloorWhenNothingIsSustained() throws Exception {
        List<Double> tried = new ArrayList<>();
        RateSearch.Result r = RateSearch.search(1000, 100, 20, pipeline(10, tried));
        assertThat(r.best()).isZero();
        assertThat(tried).allSatisfy(rate -> assertThat(rate).isGreaterThanOrEqualTo(100));
    }

    @Test
    void stopsAtTheTrialBudgetWithTheHighestSustainedRate() throws Exception {
        List<Double> tried = new ArrayList<>();
        RateSearch.Result r = RateSearch.search(100, 10, 3, pipeline(1_000_000, tried));
        assertThat(tried).containsExactly(100.0, 150.0, 230.0);
        assertThat(r.best()).isEqualTo(230.0);
        assertThat(r.lowestFailed()).isInfinite();
    }

    @Test
    void roundsRatesToTwoSignificantDigits() {
        assertThat(RateSearch.round(12_345)).isEqualTo(12_000);
        assertThat(RateSearch.round(18_750)).isEqualTo(19_000);
        assertThat(RateSearch.round(987)).isEqualTo(990);
        assertThat(RateSearch.round(3.4)).isEqualTo(3);
    }
}

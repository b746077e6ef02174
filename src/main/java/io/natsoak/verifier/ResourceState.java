package io.natsoak.verifier;

import java.util.List;

/** One resource of an {@link IncarnationState}: its warm-up, its last values (with their times) and its slope fit. */
record ResourceState(long openedAtMillis, List<Double> warmUp, List<Double> last, List<Long> lastAt, long n, double meanT, double meanY,
                     double cTY, double m2T) {
}

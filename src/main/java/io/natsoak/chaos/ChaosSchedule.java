package io.natsoak.chaos;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * When the next fault comes and which one: a seeded, reproducible sequence. Events are drawn
 * from a shuffled "bag" that holds every event as many times as its weight; when the bag is
 * empty it is refilled and shuffled again. So over every round of (sum of weights) faults each
 * event occurs exactly as often as its weight says, in a random order, and a run of a few
 * rounds is guaranteed to exercise every event with a weight (an independent weighted draw
 * would leave rare events out of short runs by chance). The delay before each fault is uniform
 * in [min, max].
 * <p>
 * A fault that a safety rule held back ({@link #skipped}) goes back to the end of the bag, at
 * most {@value #RETRIES_PER_ROUND} times per event and round: a node kill skipped while a replica
 * catches up is tried again later in the round instead of waiting for the next round, which a
 * short run may never reach. The limit keeps an event that can never be injected here (no
 * leader with static assignment) from crowding out the others.
 * <p>
 * Two generators come from the seed: one for the sequence of events and delays, one for the
 * choices made while injecting (which worker, how long a disconnect). The sequence therefore
 * depends on the seed, the weights and which steps were skipped, never on any other detail of
 * the cluster.
 */
public final class ChaosSchedule {

    /** One scheduled fault: wait {@code delay}, then inject {@code event}; {@code number} counts from 1. */
    public record Step(long number, ChaosEvent event, Duration delay) {
    }

    /** Mixed into the seed of the choices generator so it is not the sequence generator's twin. */
    private static final long CHOICES_SALT = 0x9E3779B97F4A7C15L;
    static final int RETRIES_PER_ROUND = 2;

    private final long seed;
    private final Map<ChaosEvent, Integer> weights;
    private final long minMillis;
    private final long maxMillis;
    private final Random sequence;
    private final Random choices;
    private final List<ChaosEvent> round = new ArrayList<>();
    private final Deque<ChaosEvent> bag = new ArrayDeque<>();
    private final Map<ChaosEvent, Integer> retried = new EnumMap<>(ChaosEvent.class);
    private long drawn;

    public ChaosSchedule(long seed, Map<ChaosEvent, Integer> weights, Duration min, Duration max) {
        if (min.isNegative() || min.compareTo(max) > 0) {
            throw new IllegalArgumentException("interval " + min + " to " + max + " is not valid");
        }
        this.seed = seed;
        Map<ChaosEvent, Integer> copy = new EnumMap<>(ChaosEvent.class);
        copy.putAll(weights);
        this.weights = Collections.unmodifiableMap(copy);
        this.minMillis = min.toMillis();
        this.maxMillis = max.toMillis();
        this.sequence = new Random(seed);
        this.choices = new Random(seed ^ CHOICES_SALT);
        for (ChaosEvent e : ChaosEvent.values()) {
            int w = weights.getOrDefault(e, 0);
            if (w < 0) {
                throw new IllegalArgumentException("weight of " + e.wire() + " is negative");
            }
            for (int i = 0; i < w; i++) {
                round.add(e);
            }
        }
    }

    public long seed() {
        return seed;
    }

    public Map<ChaosEvent, Integer> weights() {
        return weights;
    }

    /** Faults in one round of the bag (the sum of the weights). */
    public int roundSize() {
        return round.size();
    }

    /** The next fault; empty when every weight is 0. */
    public synchronized Optional<Step> next() {
        if (round.isEmpty()) {
            return Optional.empty();
        }
        if (bag.isEmpty()) {
            List<ChaosEvent> shuffled = new ArrayList<>(round);
            Collections.shuffle(shuffled, sequence);
            bag.addAll(shuffled);
            retried.clear();
        }
        long span = maxMillis - minMillis;
        long delay = minMillis + (span == 0 ? 0 : Math.floorMod(sequence.nextLong(), span + 1));
        return Optional.of(new Step(++drawn, bag.poll(), Duration.ofMillis(delay)));
    }

    /** A safety rule held {@code event} back: put it at the end of the bag, unless it was retried enough this round. */
    public synchronized void skipped(ChaosEvent event) {
        if (retried.merge(event, 1, Integer::sum) <= RETRIES_PER_ROUND) {
            bag.addLast(event);
        }
    }

    /** A choice made while injecting: an index in [0, bound). */
    public synchronized int choose(int bound) {
        return choices.nextInt(bound);
    }

    /** A duration in [min, max], whole seconds (the control plane's disconnect takes seconds). */
    public synchronized int chooseSeconds(Duration min, Duration max) {
        long lo = Math.max(1, min.toSeconds());
        long hi = Math.max(lo, max.toSeconds());
        return (int) (lo + choices.nextInt((int) (hi - lo + 1)));
    }
}

package io.natsoak.chaos;

import io.natsoak.model.FaultRecovery;
import io.natsoak.model.Progress;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Times each injected fault's recovery: how long after the injection the run was healthy again,
 * meaning all three at once: the NATS cluster current ({@link NatsHealth}), acknowledged
 * publishes and verified messages each back to {@value #RATE_SHARE_PERCENT} % of their rate
 * before the fault (the verifier's {@link Progress}, one point a second). A fault injected while
 * an earlier one is still recovering keeps the earlier one's rates: the bar does not drop because
 * the run was already hurt. Not thread-safe: the operator's recovery thread alone calls it.
 */
final class RecoveryWatch {

    /** The rate after a fault is measured over this window, which must start after the injection. */
    static final long RATE_WINDOW_MILLIS = 5_000;
    /** The rate before a fault: this window before the injection. */
    static final long BEFORE_WINDOW_MILLIS = 30_000;
    static final int RATE_SHARE_PERCENT = 80;
    private static final long KEPT_MILLIS = BEFORE_WINDOW_MILLIS + 60_000;

    /** A fault whose recovery is being timed. */
    record Pending<T>(T fault, long injectedAtMillis, double publishRate, double verifyRate, Double[] firstSeen) {
    }

    /** A fault whose recovery is known (or that gave up after the limit). */
    record Done<T>(T fault, FaultRecovery recovery) {
    }

    private final long limitMillis;
    private final Supplier<Optional<String>> clusterProblem;
    private final ArrayDeque<Progress> progress = new ArrayDeque<>();
    private final List<Pending<?>> pending = new ArrayList<>();

    /**
     * @param limitMillis    how long a fault is watched before it counts as not recovered
     * @param clusterProblem why the cluster is not current; empty when it is ({@link NatsHealth#problem()})
     */
    RecoveryWatch(long limitMillis, Supplier<Optional<String>> clusterProblem) {
        this.limitMillis = limitMillis;
        this.clusterProblem = clusterProblem;
    }

    /** A point of the verifier's running totals (any thread may hand it over; the caller serialises). */
    void onProgress(Progress p) {
        Progress last = progress.peekLast();
        if (last != null && p.atMillis() <= last.atMillis()) {
            return;
        }
        progress.addLast(p);
        while (progress.size() > 1 && p.atMillis() - progress.peekFirst().atMillis() > KEPT_MILLIS) {
            progress.removeFirst();
        }
    }

    /** Starts timing {@code fault}, injected at {@code atMillis}. */
    <T> void injected(T fault, long atMillis) {
        double publishRate;
        double verifyRate;
        if (!pending.isEmpty()) {
            Pending<?> earliest = pending.get(0);
            publishRate = earliest.publishRate();
            verifyRate = earliest.verifyRate();
        } else {
            publishRate = rate(atMillis - BEFORE_WINDOW_MILLIS, atMillis, true);
            verifyRate = rate(atMillis - BEFORE_WINDOW_MILLIS, atMillis, false);
        }
        pending.add(new Pending<>(fault, atMillis, publishRate, verifyRate, new Double[3]));
    }

    int pending() {
        return pending.size();
    }

    /** Stops timing every pending fault (the run is over: producers stop, so no rate comes back); returns how many. */
    int abandon() {
        int n = pending.size();
        pending.clear();
        return n;
    }

    /** Checks every pending fault at {@code nowMillis}; returns those now recovered or given up on. */
    @SuppressWarnings("unchecked")
    <T> List<Done<T>> check(long nowMillis) {
        if (pending.isEmpty()) {
            return List.of();
        }
        boolean current = clusterProblem.get().isEmpty();
        List<Done<T>> done = new ArrayList<>();
        for (Iterator<Pending<?>> it = pending.iterator(); it.hasNext();) {
            Pending<T> p = (Pending<T>) it.next();
            long windowStart = Math.max(p.injectedAtMillis(), nowMillis - RATE_WINDOW_MILLIS);
            boolean publishing = nowMillis - windowStart >= RATE_WINDOW_MILLIS && atRate(windowStart, nowMillis, true, p.publishRate());
            boolean verifying = nowMillis - windowStart >= RATE_WINDOW_MILLIS && atRate(windowStart, nowMillis, false, p.verifyRate());
            double seconds = (nowMillis - p.injectedAtMillis()) / 1000.0;
            Double[] first = p.firstSeen();
            boolean[] now = {current, publishing, verifying};
            for (int k = 0; k < 3; k++) {
                if (now[k] && first[k] == null) {
                    first[k] = seconds;
                }
            }
            if (current && publishing && verifying) {
                done.add(new Done<>(p.fault(), new FaultRecovery(seconds, first[0], first[1], first[2], limitMillis / 1000.0)));
                it.remove();
            } else if (nowMillis - p.injectedAtMillis() >= limitMillis) {
                done.add(new Done<>(p.fault(), new FaultRecovery(null, first[0], first[1], first[2], limitMillis / 1000.0)));
                it.remove();
            }
        }
        return done;
    }

    /** True if the rate over [from, to] is at least the share of {@code before} (and something moved, if anything moved before). */
    private boolean atRate(long from, long to, boolean published, double before) {
        double now = rate(from, to, published);
        if (Double.isNaN(now)) {
            return false;
        }
        if (Double.isNaN(before) || before <= 0) {
            // No rate known before the fault (a fault in the first seconds, producers done): moving is enough.
            return before <= 0 || now > 0;
        }
        return now >= before * RATE_SHARE_PERCENT / 100.0;
    }

    /** Per second over the points within [from, to]: NaN with fewer than two points covering most of the window. */
    private double rate(long from, long to, boolean published) {
        Progress first = null;
        Progress last = null;
        for (Progress p : progress) {
            if (p.atMillis() < from) {
                continue;
            }
            if (p.atMillis() > to) {
                break;
            }
            if (first == null) {
                first = p;
            }
            last = p;
        }
        if (first == null || last == first || last.atMillis() - first.atMillis() < (to - from) / 2) {
            return Double.NaN;
        }
        long delta = published ? last.published() - first.published() : last.verified() - first.verified();
        return delta * 1000.0 / (last.atMillis() - first.atMillis());
    }
}

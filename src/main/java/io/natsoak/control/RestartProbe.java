package io.natsoak.control;

import io.natsoak.lifecycle.Component;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.metrics.ThreadCensus;
import io.natsoak.resources.RestartLedger;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Measures what one in-place restart (or disconnect and reconnect) of a component leaves behind:
 * a census of natsoak's threads just before it, and, once the component runs again and has had
 * {@code settle} to settle, the lowest of {@value #CENSUSES} censuses a second apart (a pool
 * thread that is only passing through is not left behind). The difference goes to the
 * {@link RestartLedger}. A measurement that another restart of the same component overtakes,
 * or that finds the component not running, is dropped: it would measure two restarts, or none.
 * The leak canary's own threads are not counted (they are judged as growth, not per restart).
 */
final class RestartProbe {

    private static final Logger LOG = Logger.getLogger(RestartProbe.class);
    static final int CENSUSES = 3;
    private static final long CENSUS_SPACING_MS = 1_000;

    /** Taken just before a restart. */
    record Before(String component, long generation, Map<String, Integer> census) {
    }

    private final RestartLedger ledger;
    private final Duration settle;
    private final Supplier<Map<String, Integer>> census;
    private final Map<String, Long> generations = new ConcurrentHashMap<>();

    RestartProbe(RestartLedger ledger, Duration settle, Supplier<Map<String, Integer>> census) {
        this.ledger = ledger;
        this.settle = settle;
        this.census = census;
    }

    /** Just before a restart or disconnect of {@code c}: null when {@code c} is not running (nothing to compare with). */
    Before before(GuardedComponent c) {
        long generation = generations.merge(c.name(), 1L, Long::sum);
        return c.state() == Component.State.RUNNING ? new Before(c.name(), generation, census.get()) : null;
    }

    /** Once {@code c} has been started again: schedules the censuses on {@code timer} (never blocks the caller). */
    void afterRestart(Before before, GuardedComponent c, ScheduledExecutorService timer) {
        if (before == null) {
            return;
        }
        timer.schedule(new Censuses(before, c, timer), settle.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** natsoak's threads (every component but the leak canary's). */
    static int natsoakThreads(Map<String, Integer> census) {
        int sum = 0;
        for (String component : ThreadCensus.COMPONENTS) {
            if (!component.equals("canary")) {
                sum += census.getOrDefault(component, 0);
            }
        }
        return sum;
    }

    private final class Censuses implements Runnable {
        private final Before before;
        private final GuardedComponent component;
        private final ScheduledExecutorService timer;
        private Map<String, Integer> lowest;
        private int taken;

        Censuses(Before before, GuardedComponent component, ScheduledExecutorService timer) {
            this.before = before;
            this.component = component;
            this.timer = timer;
        }

        @Override
        public void run() {
            if (!generations.getOrDefault(before.component(), 0L).equals(before.generation())
                    || component.state() != Component.State.RUNNING) {
                LOG.debugf("control: the restart of %s was overtaken or did not end running; not measured", before.component());
                return;
            }
            Map<String, Integer> now = census.get();
            if (lowest == null || natsoakThreads(now) < natsoakThreads(lowest)) {
                lowest = now;
            }
            if (++taken < CENSUSES) {
                timer.schedule(this, CENSUS_SPACING_MS, TimeUnit.MILLISECONDS);
                return;
            }
            int left = natsoakThreads(lowest) - natsoakThreads(before.census());
            ledger.record(before.component(), left);
            if (left > 0) {
                LOG.warnf("control: the restart of %s left %d thread(s) behind (%s)", before.component(), left, grown(before.census(), lowest));
            } else {
                LOG.debugf("control: the restart of %s left no thread behind (%+d)", before.component(), left);
            }
        }
    }

    /** The components whose threads grew, e.g. {@code worker +1}. */
    static String grown(Map<String, Integer> before, Map<String, Integer> after) {
        Map<String, Integer> delta = new TreeMap<>();
        after.forEach((k, v) -> {
            int d = v - before.getOrDefault(k, 0);
            if (d != 0 && ThreadCensus.COMPONENTS.contains(k) && !k.equals("canary")) {
                delta.put(k, d);
            }
        });
        StringBuilder s = new StringBuilder();
        delta.forEach((k, d) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(d > 0 ? " +" : " ").append(d));
        return s.toString();
    }
}

package io.natsoak.metrics;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Groups live threads by the component that created them, read from thread names: every
 * thread natsoak starts is named {@code <component>-<purpose>-<n>} (jnats threads included,
 * through {@link io.natsoak.nats.OwnedConnection}). A growth alert can then name the leaking
 * component instead of just "threads went up".
 */
public final class ThreadCensus {

    /** natsoak's own components: the {@code component} label values of the thread gauge. */
    public static final List<String> COMPONENTS = List.of("producer", "worker", "verifier", "assign", "control", "resources", "canary", "chaos",
            "local");
    /** Everything else is grouped coarsely, so label values stay few. */
    public static final String JVM = "jvm";
    public static final String QUARKUS = "quarkus";
    public static final String OTHER = "other";

    private static final Set<String> JVM_THREADS = Set.of("main", "Reference Handler", "Finalizer", "Signal Dispatcher",
            "Common-Cleaner", "Notification Thread", "Attach Listener", "DestroyJavaVM", "process reaper");

    private ThreadCensus() {
    }

    public static String componentOf(String threadName) {
        int dash = threadName.indexOf('-');
        if (dash > 0) {
            String prefix = threadName.substring(0, dash);
            if (COMPONENTS.contains(prefix)) {
                return prefix;
            }
        }
        if (JVM_THREADS.contains(threadName) || threadName.startsWith("C1 ") || threadName.startsWith("C2 ")
                || threadName.startsWith("GC ") || threadName.startsWith("G1 ") || threadName.startsWith("VM ")
                || threadName.startsWith("ForkJoinPool") || threadName.startsWith("Java2D")) {
            return JVM;
        }
        if (threadName.startsWith("vert.x-") || threadName.startsWith("executor-thread-") || threadName.startsWith("Quarkus")
                || threadName.startsWith("JBoss") || threadName.startsWith("Shutdown") || threadName.startsWith("smallrye")
                || threadName.startsWith("mutiny")) {
            return QUARKUS;
        }
        return OTHER;
    }

    /** Live threads per component, every known component present (0 when none). */
    public static Map<String, Integer> count() {
        Map<String, Integer> counts = new TreeMap<>();
        COMPONENTS.forEach(c -> counts.put(c, 0));
        counts.put(JVM, 0);
        counts.put(QUARKUS, 0);
        counts.put(OTHER, 0);
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive()) {
                counts.merge(componentOf(t.getName()), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** All live threads. */
    public static int total() {
        return Thread.activeCount();
    }
}

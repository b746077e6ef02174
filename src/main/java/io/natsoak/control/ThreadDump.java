package io.natsoak.control;

import io.natsoak.metrics.ThreadCensus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Live threads grouped by component and by identical stack: a leak shows as one big group. */
final class ThreadDump {

    private static final int FRAMES = 8;
    private static final int GROUPS = 20;
    private static final int NAMES_PER_GROUP = 5;

    private ThreadDump() {
    }

    static Map<String, Object> take() {
        Map<String, List<String>> byStack = new HashMap<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            String stack = Arrays.stream(e.getValue()).limit(FRAMES).map(StackTraceElement::toString).collect(Collectors.joining("\n"));
            byStack.computeIfAbsent(e.getKey().getState() + "\n" + stack, k -> new ArrayList<>()).add(e.getKey().getName());
        }
        List<Map<String, Object>> groups = byStack.entrySet().stream()
                .sorted(Comparator.comparingInt((Map.Entry<String, List<String>> e) -> e.getValue().size()).reversed())
                .limit(GROUPS)
                .map(e -> {
                    Map<String, Object> g = new LinkedHashMap<>();
                    g.put("count", e.getValue().size());
                    g.put("threads", e.getValue().stream().sorted().limit(NAMES_PER_GROUP).toList());
                    g.put("stack", List.of(e.getKey().split("\n")));
                    return g;
                })
                .toList();
        Map<String, Object> dump = new LinkedHashMap<>();
        dump.put("byComponent", ThreadCensus.count());
        dump.put("byStack", groups);
        return dump;
    }
}

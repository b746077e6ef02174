package io.natsoak.bench;

import io.natsoak.local.ProcessStats;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Threads and resident memory of one role's processes over a window: each process' median
 * sample, then the role's mean and worst process.
 */
public record RoleFootprint(String role, int processes, double threadsPerProcess, double rssMiBPerProcess, int maxThreads,
                            double maxRssMiB) {

    private static final double MIB = 1024.0 * 1024.0;

    /** Collects samples of named processes (e.g. worker-3) and groups them by role (the name before the last '-'). */
    static final class Sampler {
        private final Map<String, List<ProcessStats>> byProcess = new LinkedHashMap<>();

        void sample(String process, long pid) {
            ProcessStats.of(pid).ifPresent(s -> byProcess.computeIfAbsent(process, k -> new ArrayList<>()).add(s));
        }

        List<RoleFootprint> byRole() {
            Map<String, List<ProcessStats>> medians = new LinkedHashMap<>();
            byProcess.forEach((process, samples) -> medians.computeIfAbsent(roleOf(process), k -> new ArrayList<>()).add(median(samples)));
            List<RoleFootprint> out = new ArrayList<>();
            medians.forEach((role, stats) -> out.add(new RoleFootprint(role, stats.size(),
                    stats.stream().mapToInt(ProcessStats::threads).average().orElse(0),
                    stats.stream().mapToLong(ProcessStats::rssBytes).average().orElse(0) / MIB,
                    stats.stream().mapToInt(ProcessStats::threads).max().orElse(0),
                    stats.stream().mapToLong(ProcessStats::rssBytes).max().orElse(0) / MIB)));
            return out;
        }

        private static String roleOf(String process) {
            int dash = process.lastIndexOf('-');
            return dash > 0 && process.substring(dash + 1).chars().allMatch(Character::isDigit) ? process.substring(0, dash) : process;
        }

        private static ProcessStats median(List<ProcessStats> samples) {
            List<Integer> threads = new ArrayList<>();
            List<Long> rss = new ArrayList<>();
            for (ProcessStats s : samples) {
                threads.add(s.threads());
                rss.add(s.rssBytes());
            }
            Collections.sort(threads);
            Collections.sort(rss);
            return new ProcessStats(threads.get(threads.size() / 2), rss.get(rss.size() / 2));
        }
    }
}

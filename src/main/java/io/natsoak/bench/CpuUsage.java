package io.natsoak.bench;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * CPU use over a measurement window, in percent of the whole machine (all cores = 100).
 *
 * @param groups the share of each named group of processes (e.g. nats-server, natsoak, bench)
 * @param others the share of processes outside this benchmark's process tree: other people's builds
 */
public record CpuUsage(double busy, double iowait, Map<String, Double> groups, double others) {

    /** Busier than this, the figure is limited by CPU. */
    static final double CPU_BOUND_PERCENT = 85;
    /** More iowait than this, the figure is limited by the disk. */
    static final double DISK_BOUND_PERCENT = 15;
    /** Other processes using more than this share measured the figure under load. */
    static final double UNDER_LOAD_PERCENT = 5;

    /**
     * What limited a figure: the disk, the CPU (and who used it), or, when neither was saturated,
     * {@code otherwise} (the scenario knows: round trips, the rate search's bound, ...).
     */
    public String limit(String otherwise) {
        String breakdown = breakdown();
        if (iowait >= DISK_BOUND_PERCENT) {
            return String.format("disk (iowait %.0f%%; %s)", iowait, breakdown);
        }
        if (busy >= CPU_BOUND_PERCENT) {
            return "CPU (" + breakdown + ")";
        }
        return otherwise + " (" + breakdown + ")";
    }

    /** Who used the machine, e.g. "machine 97% busy: nats-server 55%, natsoak 38%, others 4%". */
    public String breakdown() {
        String who = groups.entrySet().stream()
                .map(e -> String.format("%s %.0f%%", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
        return String.format("machine %.0f%% busy: %s%sothers %.0f%%", busy, who, who.isEmpty() ? "" : ", ", others);
    }

    public boolean underLoad() {
        return others >= UNDER_LOAD_PERCENT;
    }
}

package io.natsoak.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * CPU time of the machine and of named groups of processes (nats-server nodes, natsoak role
 * processes, this process) between two moments, read from /proc (Linux). It is what the
 * "limited by" column of a figure is made of: a figure measured while the machine was 95 %
 * busy, 60 % of it nats-server, is limited by CPU, and one measured while other processes used
 * 40 % of it was measured under load. Off Linux every figure reads 0.
 */
final class CpuMeter {

    /** Processes of this process tree: this JVM (with its reaped children) and every live descendant. */
    static final String TREE = "tree";

    private final Map<String, Supplier<Collection<Long>>> groups;

    /** @param groups group name -> the pids that belong to it now (asked at every snapshot) */
    CpuMeter(Map<String, Supplier<Collection<Long>>> groups) {
        this.groups = new LinkedHashMap<>(groups);
    }

    /** Machine CPU ticks and the ticks of each group's processes at this moment. */
    record Snapshot(long nanos, long total, long idle, long iowait, Map<String, Map<Long, Long>> ticks) {
    }

    Snapshot snapshot() {
        long[] cpu = machineTicks();
        Map<String, Map<Long, Long>> ticks = new LinkedHashMap<>();
        for (Map.Entry<String, Supplier<Collection<Long>>> g : groups.entrySet()) {
            Map<Long, Long> byPid = new HashMap<>();
            for (long pid : g.getValue().get()) {
                long t = processTicks(pid, false);
                if (t >= 0) {
                    byPid.put(pid, t);
                }
            }
            ticks.put(g.getKey(), byPid);
        }
        Map<Long, Long> tree = new HashMap<>();
        tree.put(ProcessHandle.current().pid(), Math.max(0, processTicks(ProcessHandle.current().pid(), true)));
        ProcessHandle.current().descendants().forEach(h -> {
            long t = processTicks(h.pid(), false);
            if (t >= 0) {
                tree.put(h.pid(), t);
            }
        });
        ticks.put(TREE, tree);
        return new Snapshot(System.nanoTime(), cpu[0], cpu[1], cpu[2], ticks);
    }

    /** What happened between two snapshots, as percentages of the whole machine (all cores = 100). */
    static CpuUsage between(Snapshot a, Snapshot b) {
        long total = b.total() - a.total();
        if (total <= 0) {
            return new CpuUsage(0, 0, Map.of(), 0);
        }
        double busy = 100.0 * (total - (b.idle() - a.idle()) - (b.iowait() - a.iowait())) / total;
        double iowait = 100.0 * (b.iowait() - a.iowait()) / total;
        Map<String, Double> shares = new LinkedHashMap<>();
        for (String g : b.ticks().keySet()) {
            shares.put(g, 100.0 * delta(a.ticks().getOrDefault(g, Map.of()), b.ticks().get(g)) / total);
        }
        double tree = shares.getOrDefault(TREE, 0.0);
        shares.remove(TREE);
        return new CpuUsage(busy, iowait, shares, Math.max(0, busy - tree));
    }

    /** Ticks used by the processes of a group between the snapshots; a process that appeared counts from 0. */
    private static long delta(Map<Long, Long> before, Map<Long, Long> after) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            sum += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        }
        return sum;
    }

    /** total, idle, iowait ticks of all CPUs from the first line of /proc/stat. */
    private static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            // user nice system idle iowait irq softirq steal (guest time is already in user)
            for (int i = 1; i <= 8 && i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total, Long.parseLong(f[4]), Long.parseLong(f[5])};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0, 0};
        }
    }

    /** utime + stime (+ cutime + cstime: reaped children) of a process in clock ticks, or -1 when it is gone. */
    static long processTicks(long pid, boolean withChildren) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may contain spaces: fields after it start behind the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return withChildren ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** One-minute load average from /proc/loadavg, or -1. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}

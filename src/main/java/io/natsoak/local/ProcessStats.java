package io.natsoak.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Threads and resident memory of a process, read from /proc/&lt;pid&gt;/status (Linux). The
 * JVM cannot see another process's threads; the kernel can, and counts every thread, jnats'
 * and the JVM's own included.
 */
public record ProcessStats(int threads, long rssBytes) {

    public static Optional<ProcessStats> of(long pid) {
        try {
            int threads = -1;
            long rss = -1;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.substring(8).trim());
                } else if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
            return threads < 0 || rss < 0 ? Optional.empty() : Optional.of(new ProcessStats(threads, rss));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}

package io.natsoak.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of this process, from /proc/self/status (Micrometer has no RSS binder). */
public final class ProcessRss {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessRss() {
    }

    /** Bytes, or NaN where /proc is not available. */
    public static double bytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}

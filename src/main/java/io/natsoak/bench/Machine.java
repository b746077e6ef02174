package io.natsoak.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What a figure was measured on: figures from different machines are not comparable. */
public record Machine(String cpu, int cores, long memoryBytes, String os, String kernel, String java, String natsServer) {

    public static Machine describe(Optional<String> natsServerBinary) {
        return new Machine(
                firstValue(Path.of("/proc/cpuinfo"), "model name").orElse(System.getProperty("os.arch")),
                Runtime.getRuntime().availableProcessors(),
                firstValue(Path.of("/proc/meminfo"), "MemTotal").map(Machine::kib).orElse(-1L),
                firstValue(Path.of("/etc/os-release"), "PRETTY_NAME").map(v -> v.replace("\"", "")).orElse(System.getProperty("os.name")),
                System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                natsServerBinary.map(Machine::version).orElse("not installed"));
    }

    /** One line for the table's header. */
    public String summary() {
        return String.format("%d cores (%s), %.0f GiB, %s, %s, nats-server %s", cores, cpu, memoryBytes / (1024.0 * 1024 * 1024), os, java,
                natsServer);
    }

    private static Optional<String> firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                int sep = line.indexOf(line.contains("=") && !line.contains(":") ? '=' : ':');
                if (sep > 0 && line.substring(0, sep).trim().equals(key)) {
                    return Optional.of(line.substring(sep + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the caller falls back to what Java knows
        }
        return Optional.empty();
    }

    private static long kib(String value) {
        return Long.parseLong(value.split("\\s+")[0]) * 1024;
    }

    private static String version(String binary) {
        try {
            Process p = new ProcessBuilder(List.of(binary, "--version")).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return out.replaceFirst("^nats-server:\\s*", "");
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}

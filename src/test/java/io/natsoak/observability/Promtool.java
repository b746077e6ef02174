package io.natsoak.observability;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Runs the real promtool (Debian package prometheus). Never a stand-in: absent means fail. */
final class Promtool {

    static final String MISSING = "install prometheus (Debian package) for promtool";

    private Promtool() {
    }

    /** The promtool executable; fails the calling test when there is none. */
    static Path require() {
        String env = System.getenv("PROMTOOL");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Path.of(env);
        }
        String pathVar = System.getenv().getOrDefault("PATH", "");
        List<String> dirs = new ArrayList<>(List.of(pathVar.split(File.pathSeparator)));
        dirs.add("/usr/bin");
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "promtool"))) {
                return Path.of(dir, "promtool");
            }
        }
        return fail(MISSING);
    }

    record Result(int exitCode, String output) {
    }

    /** A started promtool; {@link #await()} collects its exit code and combined output. */
    static final class Run {
        private final Process process;
        private final Path log;
        private final String command;

        private Run(Process process, Path log, String command) {
            this.process = process;
            this.log = log;
            this.command = command;
        }

        Result await() {
            try {
                if (!process.waitFor(180, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return fail(command + " did not finish within 180 s");
                }
                String out = Files.readString(log, StandardCharsets.UTF_8);
                Files.deleteIfExists(log);
                return new Result(process.exitValue(), out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new IllegalStateException(e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static Run start(Path workDir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(require().toString());
        command.addAll(List.of(args));
        try {
            Path log = Files.createTempFile("promtool", ".log");
            Process p = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new Run(p, log, String.join(" ", command));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Result run(Path workDir, String... args) {
        return start(workDir, args).await();
    }
}

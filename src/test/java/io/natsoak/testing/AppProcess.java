package io.natsoak.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged application run as users run it ({@code java -jar quarkus-run.jar ARGS}), for command-line tests. */
public final class AppProcess {

    /** What one run printed and how it ended. */
    public record Run(int exitCode, String stdout, String stderr) {
    }

    private AppProcess() {
    }

    /** Runs the application to its end (at most 5 minutes); whatever it started is killed afterwards. */
    public static Run natsoak(String... args) throws IOException, InterruptedException {
        return natsoak(Map.of(), args);
    }

    /** As {@link #natsoak(String...)}, with these variables added to the environment. */
    public static Run natsoak(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("natsoak.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("natsoak-out", ".txt");
        Path err = Files.createTempFile("natsoak-err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(environment);
        Process p = builder.start();
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                throw new AssertionError("natsoak " + String.join(" ", args) + " did not finish; output: " + Files.readString(out));
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Files.delete(out);
            Files.delete(err);
        }
    }
}

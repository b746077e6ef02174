package io.natsoak;

import io.natsoak.bench.BenchCommand;
import io.natsoak.config.ConfigException;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.config.Presets;
import io.natsoak.config.Role;
import io.natsoak.config.SettingCatalog;
import io.natsoak.local.LocalLauncher;
import io.natsoak.local.NatsServerVersions;
import io.natsoak.nats.NatsSecurity;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The command line. Configuration is checked here, before anything starts, so a bad value
 * costs one line and exit code 2 and never a half-started run.
 */
@QuarkusMain
@Command(name = "natsoak", mixinStandardHelpOptions = true, version = "natsoak 0.1.0",
        description = {"Distributed soak test for NATS JetStream partitioned workloads.",
                "Without a command, runs the role named by natsoak.role / NATSOAK_ROLE (what the container does)."},
        subcommands = {Main.Local.class, Main.Run.class, Main.Settings.class, BenchCommand.class},
        footer = {"", "Settings: every natsoak.* key can be given as -Dkey=value, as a system property or as an environment",
                "variable (NATSOAK_PARTITIONS_COUNT=50). './natsoak settings' lists them all.",
                "Exit codes: 0 PASS, 1 FAIL, 2 bad configuration or arguments, 3 a role could not start."})
public final class Main implements Callable<Integer> {

    public static final int EXIT_PASS = 0;
    public static final int EXIT_FAIL = 1;
    public static final int EXIT_USAGE = 2;

    public static void main(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println(usageLine(ex));
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof ConfigException) {
                cmd.getErr().println("natsoak: " + ex.getMessage());
                return EXIT_USAGE;
            }
            throw ex;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() {
        return serve(Map.of());
    }

    /** The one line a command-line mistake costs (picocli's messages may span lines and echo anything typed). */
    static String usageLine(CommandLine.ParameterException ex) {
        String first = String.valueOf(ex.getMessage()).lines().findFirst().orElse("invalid arguments")
                .replaceAll("\\s*\\((?:[\\w$]+\\.)+\\w*(?:Exception|Error)(?::[^)]*)?\\)", ""); // a converter's exception, in brackets
        return "natsoak: " + new ConfigException(first).getMessage() + " (see --help)";
    }

    /** Applies -D options as system properties (so Quarkus and the role see the same values) and checks the configuration. */
    static NatsoakConfig configure(Map<String, String> properties) {
        checkKeys(properties);
        properties.forEach(System::setProperty);
        return ConfigLoader.load(Map.of());
    }

    /** A -D key the JVM cannot hold as a system property would otherwise escape as a stack trace. */
    static void checkKeys(Map<String, String> properties) {
        for (String key : properties.keySet()) {
            if (key == null || key.isBlank()) {
                throw new ConfigException("-D: a setting without a name; allowed: -Dkey=value, e.g. -Dnatsoak.partitions.count=50");
            }
        }
    }

    static int serve(Map<String, String> properties) {
        NatsoakConfig config = configure(properties);
        NatsSecurity.checkFiles(config.nats());
        if (config.role() == Role.LOCAL) {
            return LocalLauncher.fromCurrentProcess(config).run();
        }
        io.natsoak.app.Identity.of(config);
        Quarkus.run(Serve.class, (code, failure) -> {
            if (failure != null) {
                System.err.println("natsoak: " + config.role().name().toLowerCase(Locale.ROOT) + " failed to start: " + failure);
            }
            System.exit(code);
        });
        return 0;
    }

    /** The Quarkus application of a role process: runs until asked to exit. */
    public static final class Serve implements QuarkusApplication {
        @Override
        public int run(String... args) {
            Quarkus.waitForExit();
            return 0;
        }
    }

    @Command(name = "local", mixinStandardHelpOptions = true,
            description = {"Runs a whole soak on this machine: a 3-node nats-server JetStream cluster on free loopback ports",
                    "(data in a temporary directory that is removed), the verifier, producers and workers as separate",
                    "processes. Prints progress, then the verdict. Exit code 0 on PASS, 1 on FAIL."})
    static final class Local implements Callable<Integer> {
        @Option(names = "--profile", paramLabel = "NAME", description = "A preset: quick, chaos-test, dev, realistic, stress, extreme (default: quick).")
        String profile;

        @Option(names = "--duration", paramLabel = "D", description = "How long producers publish, e.g. 60s, 10m, 8h; 0 runs until Ctrl-C.")
        String duration;

        @Option(names = "--report", paramLabel = "FILE", description = "Write the final JSON report to FILE (replaced if it exists; not a directory).")
        String report;

        @Option(names = "--prometheus", description = {"Also run a local Prometheus (Debian package prometheus) with natsoak's alert",
                "rules, scraping every process; prints its URL, stops with the run."})
        boolean prometheus;

        @Option(names = "--nats", paramLabel = "VERSION|PATH", description = {"The nats-server to run: 2.9, 2.10 or 2.15 (2.9.10, 2.10.27,",
                "2.15.1: fetched once from Debian bookworm, trixie, sid into ~/.cache/natsoak), or a binary's path",
                "(natsoak.local.nats-version). Default: the installed nats-server."})
        String nats;

        @Option(names = "-D", paramLabel = "key=value", description = "Any setting, e.g. -Dnatsoak.partitions.count=50.")
        Map<String, String> properties = new HashMap<>();

        @Override
        public Integer call() {
            return serve(settings());
        }

        /** The settings this command line stands for (what {@link #call()} applies). */
        Map<String, String> settings() {
            Map<String, String> props = new HashMap<>(properties);
            props.put("natsoak.role", "local");
            if (nats != null) {
                if (nats.isBlank()) {
                    throw new ConfigException("--nats: empty; allowed: " + NatsServerVersions.allowed());
                }
                props.put("natsoak.local.nats-version", nats);
            }
            if (prometheus) {
                props.put("natsoak.local.prometheus", "true");
            }
            if (profile != null && profile.isBlank()) {
                throw new ConfigException("--profile: empty; allowed: " + String.join(", ", Presets.NAMES));
            }
            props.put("natsoak.preset", profile != null ? profile : props.getOrDefault("natsoak.preset", "quick"));
            if (duration != null) {
                props.put("natsoak.duration", duration);
            }
            if (report != null) {
                props.put("natsoak.verifier.report-file", reportFile(report).toString());
            }
            return props;
        }
    }

    /**
     * The file --report names, absolute. Refused (one line, nothing deleted): an empty path and an
     * existing directory, which the report's atomic replace would otherwise delete or trip over.
     */
    static Path reportFile(String report) {
        if (report.isBlank()) {
            throw new ConfigException("--report: empty; allowed: the path of a file to write the JSON report to");
        }
        Path file;
        try {
            file = Path.of(report).toAbsolutePath();
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException("--report " + report + ": not a valid path; allowed: the path of a file to write the JSON report to");
        }
        if (Files.isDirectory(file)) {
            throw new ConfigException("--report " + report + ": is a directory; allowed: the path of a file to write the JSON report to "
                    + "(e.g. " + file.resolve("report.json") + ")");
        }
        return file;
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Runs one role in this process (producer, worker, verifier, chaos).")
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "ROLE", description = "producer, worker, verifier or chaos")
        String role;

        @Option(names = "-D", paramLabel = "key=value", description = "Any setting, e.g. -Dnatsoak.worker.index=0.")
        Map<String, String> properties = new HashMap<>();

        @Override
        public Integer call() {
            return serve(settings());
        }

        /** The settings this command line stands for (what {@link #call()} applies). */
        Map<String, String> settings() {
            Map<String, String> props = new HashMap<>(properties);
            props.put("natsoak.role", role);
            return props;
        }
    }

    @Command(name = "settings", mixinStandardHelpOptions = true, description = "Lists every setting with its allowed values and default.")
    static final class Settings implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            SettingCatalog.all().values().forEach(s -> out.printf("%-42s %s%s%n", s.key(), s.allowed(),
                    s.defaultValue() == null ? "" : " [default: " + s.defaultValue() + "]"));
            return 0;
        }
    }
}

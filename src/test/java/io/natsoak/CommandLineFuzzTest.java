package io.natsoak;

import io.natsoak.config.ConfigException;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.SettingCatalog;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line under random argument vectors: real subcommands and options mixed with
 * garbage, broken {@code -D} pairs and hostile values. Parsing and the configuration check that
 * {@link Main} runs before anything starts end either in settings that load or in one line (what
 * the user sees, exit code 2); nothing else escapes. In process and side-effect free: it stops
 * where {@code Main} would start the run. Seeded ({@code -Dnatsoak.fuzz.seed=N}).
 */
class CommandLineFuzzTest {

    private static final long SEED = Long.getLong("natsoak.fuzz.seed", 20261124L);
    private static final int ITERATIONS = Integer.getInteger("natsoak.fuzz.iterations", 800);

    private final Random random = new Random(SEED);
    private final List<String> keys = new ArrayList<>(SettingCatalog.all().keySet());

    @Test
    void randomArgumentsEndInSettingsOrOneLine() {
        Map<String, String> failures = new LinkedHashMap<>();
        int loaded = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            String[] args = randomArgs();
            String line;
            try {
                line = outcome(args);
            } catch (Throwable t) {
                failures.putIfAbsent(t.getClass().getName(), "iteration " + i + ", args " + List.of(args) + ": " + t);
                continue;
            }
            if (line == null) {
                loaded++;
            } else if (!line.startsWith("natsoak: ") || line.contains("\n") || line.contains("\r") || line.length() > 1200
                    || line.contains("Exception")) {
                failures.putIfAbsent(line.replaceAll("'[^']*'|\"[^\"]*\"", "..."), "iteration " + i + ", args " + List.of(args) + ": " + line);
            }
        }
        assertThat(failures.values()).as("seed %d: argument vectors whose outcome was not one clear line", SEED).isEmpty();
        assertThat(loaded).as("argument vectors that configured a run").isPositive();
    }

    /** What {@link Main} would print and exit 2 with, or null when it would go on to run. */
    static String outcome(String... args) {
        CommandLine cli = new CommandLine(new Main());
        CommandLine.ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return Main.usageLine(e);
        }
        if (cli.isUsageHelpRequested() || cli.isVersionHelpRequested()) {
            return null;
        }
        CommandLine.ParseResult sub = parsed.subcommand();
        while (sub != null && sub.subcommand() != null) {
            sub = sub.subcommand();
        }
        if (sub == null || sub.isUsageHelpRequested() || sub.isVersionHelpRequested()) {
            return null; // the container path (role from the environment) or help: nothing to check here
        }
        Object command = sub.commandSpec().userObject();
        if (!(command instanceof Main.Local) && !(command instanceof Main.Run)) {
            return null;
        }
        try {
            // The options' own checks (an empty --profile, a directory as --report) are part of the settings.
            Map<String, String> settings = command instanceof Main.Local local ? local.settings() : ((Main.Run) command).settings();
            Main.checkKeys(settings);
            io.natsoak.nats.NatsSecurity.checkFiles(ConfigLoader.fromMap(settings).nats());
            return null;
        } catch (ConfigException e) {
            return "natsoak: " + e.getMessage();
        }
    }

    private String[] randomArgs() {
        List<String> args = new ArrayList<>();
        switch (random.nextInt(5)) {
            case 0 -> args.add("local");
            case 1 -> {
                args.add("run");
                args.add(pick("producer", "worker", "verifier", "chaos", "local", "boss", "", "WORKER"));
            }
            case 2 -> args.add(pick("settings", "--help", "--version", "-h", "help"));
            case 3 -> args.add(garbage());
            default -> { }
        }
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
            switch (random.nextInt(9)) {
                case 0 -> {
                    args.add("--profile");
                    args.add(pick("quick", "chaos-test", "nosuch", "", "QUICK"));
                }
                case 1 -> {
                    args.add("--duration");
                    args.add(pick("60s", "0", "soon", "-1s", "999999999999999h", ""));
                }
                case 2 -> {
                    args.add("--report");
                    args.add(pick("/tmp/r.json", "", "\u0000", "/"));
                }
                case 3 -> args.add("-D" + keys.get(random.nextInt(keys.size())) + "=" + pick("1", "", "true", "5s", "nats://x:1", "-1", garbage()));
                case 4 -> {
                    args.add("-D");
                    args.add(pick("=x", "novalue", "natsoak.partitions.count", "a=b=c", "=", garbage() + "=" + garbage()));
                }
                case 5 -> args.add(pick("--no-such-option", "-", "--", "-Dx", "-D", "@/nonexistent", "--profile"));
                case 6 -> args.add(garbage());
                case 7 -> args.add("-Dnatsoak." + garbage() + "=" + garbage());
                default -> args.add(pick("local", "run", "worker"));
            }
        }
        return args.toArray(String[]::new);
    }

    private String garbage() {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(12);
        for (int i = 0; i < n; i++) {
            sb.append(random.nextInt(4) == 0 ? "=-.\n\u0000\u2028\"'@$".charAt(random.nextInt(10)) : (char) (32 + random.nextInt(0x2000)));
        }
        return sb.toString();
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }
}

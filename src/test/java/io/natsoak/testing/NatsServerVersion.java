package io.natsoak.testing;

import io.natsoak.local.NatsCluster;
import io.natsoak.local.NatsServerVersions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * The nats-server versions the integration tests run on (issue 18): 2.9 is the system's
 * nats-server (Debian 12's 2.9.10), 2.10 and 2.15 are the binaries {@code scripts/install-test-deps}
 * puts into {@code ${XDG_CACHE_HOME:-$HOME/.cache}/natsoak/nats-server/<full version>/nats-server}.
 * A missing binary fails the test with its path and the script to run, never skips it.
 * <p>
 * Which versions a matrix test runs on by default is chosen per test (docs/architecture.md,
 * "Tests: which nats-server versions"); {@code -Dnatsoak.it.nats-versions=2.9,2.10,2.15} overrides
 * every choice, e.g. to run the whole matrix, or only {@code 2.15} while debugging.
 */
public enum NatsServerVersion {

    V2_9("2.9", null), V2_10("2.10", "2.10.27"), V2_15("2.15", "2.15.1");

    public static final String VERSIONS_PROPERTY = "natsoak.it.nats-versions";

    private static final ConcurrentMap<NatsServerVersion, String> REPORTED = new ConcurrentHashMap<>();

    private final String line;
    private final String cached;

    NatsServerVersion(String line, String cached) {
        this.line = line;
        this.cached = cached;
    }

    /** "2.9", "2.10", "2.15": what {@code -Dnatsoak.it.nats-versions} names. */
    public String line() {
        return line;
    }

    /** The executable to start; fails with the missing path and how to install it. */
    public String binary() {
        return binaryIn(cacheDir());
    }

    String binaryIn(Path cacheDir) {
        if (cached == null) {
            return NatsCluster.findBinary(System.getProperty(NatsClusterExtension.BINARY_PROPERTY, "nats-server"))
                    .orElseThrow(() -> new IllegalStateException("nats-server " + line + " (the system's) not found on PATH or in /usr/sbin,"
                            + " /usr/local/bin, /usr/bin: run scripts/install-test-deps (or apt-get install nats-server)"));
        }
        Path path = cacheDir.resolve(cached).resolve("nats-server");
        if (Files.isRegularFile(path) && Files.isExecutable(path)) {
            return path.toString();
        }
        // When the Debian suite has moved on (sid), scripts/install-test-deps fetched the newest release of the same line.
        return NatsServerVersions.newestCachedOfLine(cacheDir, line).map(Path::toString).orElseThrow(() -> new IllegalStateException(
                "nats-server " + cached + " missing at " + path + " (nor any " + line + ".x beside it): run scripts/install-test-deps"));
    }

    /** What the binary itself reports, e.g. "v2.9.10" (asked once per run): test names show it. */
    public String reported() {
        return REPORTED.computeIfAbsent(this, v -> ask(v.binary()));
    }

    @Override
    public String toString() {
        return "nats-server " + line;
    }

    /** Every version: for the cheap matrix tests. */
    public static List<NatsServerVersion> every() {
        return chosen(values());
    }

    /** The system's 2.9 and the newest: for the soaks, whose every minute is CI time. */
    public static List<NatsServerVersion> oldestAndNewest() {
        return chosen(V2_9, V2_15);
    }

    /** The system's 2.9 only, the others on demand: for a long soak another matrix test already covers. */
    public static List<NatsServerVersion> systemOnly() {
        return chosen(V2_9);
    }

    static List<NatsServerVersion> chosen(NatsServerVersion... defaults) {
        String override = System.getProperty(VERSIONS_PROPERTY, "").trim();
        if (override.isEmpty()) {
            return List.of(defaults);
        }
        return Arrays.stream(override.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(NatsServerVersion::of).toList();
    }

    static NatsServerVersion of(String line) {
        for (NatsServerVersion v : values()) {
            if (v.line.equals(line)) {
                return v;
            }
        }
        throw new IllegalArgumentException("-D" + VERSIONS_PROPERTY + ": unknown nats-server version '" + line + "'; allowed: 2.9, 2.10, 2.15");
    }

    private static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("natsoak").resolve("nats-server");
    }

    private static String ask(String binary) {
        try {
            Process p = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(binary + " --version did not answer within 10 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return out.substring(out.lastIndexOf(' ') + 1);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + binary + " --version: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted asking " + binary + " for its version", e);
        }
    }
}

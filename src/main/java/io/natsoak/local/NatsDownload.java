package io.natsoak.local;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Fetches the nats-server of one {@link NatsServerVersions.Release} from the Debian archive into
 * the cache: {@code apt-get update} and {@code apt-get download} with a private sources list,
 * package lists and package cache in a temporary directory (nothing under /etc/apt or /var/lib/apt
 * changes, nothing is installed, root is not needed), then {@code dpkg-deb -x} and a copy of the
 * binary. The same steps as {@code scripts/install-test-deps}.
 */
final class NatsDownload {

    static final String MIRROR = "http://deb.debian.org/debian";
    static final Path KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(5);

    private final Path cacheRoot;
    private final PrintStream out;

    NatsDownload(Path cacheRoot, PrintStream out) {
        this.cacheRoot = cacheRoot;
        this.out = out;
    }

    /**
     * The cached binary of the release, fetched first when it is not there yet.
     *
     * @throws LocalLauncher.LaunchException one line saying why it cannot, and what to do instead
     */
    Path ensure(NatsServerVersions.Release release) throws IOException, InterruptedException {
        Path target = NatsServerVersions.cached(cacheRoot, release);
        if (Files.isRegularFile(target) && Files.isExecutable(target)) {
            return target;
        }
        Optional<Path> sameLine = NatsServerVersions.newestCachedOfLine(cacheRoot, release);
        if (sameLine.isPresent()) {
            return sameLine.get();
        }
        for (String tool : List.of("apt-get", "apt-cache", "dpkg-deb")) {
            if (NatsBinary.onPath(tool).isEmpty()) {
                throw failure(release, tool + " is missing (not a Debian or Ubuntu machine?)");
            }
        }
        if (!Files.isReadable(KEYRING)) {
            throw failure(release, KEYRING + " is missing (Debian package debian-archive-keyring)");
        }
        Path work = Files.createTempDirectory("natsoak-nats-fetch-");
        try {
            return fetch(release, work);
        } finally {
            DirectoryTree.delete(work);
        }
    }

    /** Fetches the release (or, when its suite has moved on, the newest of its line) into the cache; returns the binary. */
    private Path fetch(NatsServerVersions.Release release, Path work) throws IOException, InterruptedException {
        Files.createDirectories(work.resolve("lists/partial"));
        Files.createDirectories(work.resolve("cache/archives/partial"));
        Path debs = Files.createDirectories(work.resolve("debs"));
        Path sources = work.resolve("sources.list");
        Files.writeString(sources, "deb [signed-by=" + KEYRING + "] " + MIRROR + " " + release.suite() + " main\n");
        List<String> options = aptOptions(work, sources);

        out.printf("nats-server %s is not in %s yet; fetching the Debian package from %s %s (private sources list, nothing installed)%n",
                release.version(), cacheRoot, MIRROR, release.suite());
        out.printf("  apt-get update (Debian %s package lists)...%n", release.suite());
        run(release, work, work, command("apt-get", options, "update", "-qq"));
        String debianVersion = debianVersion(release, run(release, work, work, command("apt-cache", options, "madison", "nats-server")));
        String upstream = debianVersion.replaceFirst("^\\d+:", "").replaceFirst("-[^-]*$", "");
        if (!upstream.equals(release.version())) {
            out.printf("  Debian %s has nats-server %s now, not %s: fetching that%n", release.suite(), upstream, release.version());
        }
        Path target = cacheRoot.resolve(upstream).resolve(NatsBinary.NAME);
        out.printf("  apt-get download nats-server=%s...%n", debianVersion);
        run(release, work, debs, command("apt-get", options, "download", "-q", "nats-server=" + debianVersion));
        Path deb = only(debs, ".deb").orElseThrow(() -> failure(release, "apt-get download left no .deb"));
        Path root = Files.createDirectories(work.resolve("root"));
        run(release, work, work, List.of("dpkg-deb", "-x", deb.toString(), root.toString()));
        Path binary = binaryIn(root).orElseThrow(() -> failure(release, "the package " + deb.getFileName() + " holds no nats-server"));
        Optional<String> version = NatsVersion.of(binary);
        if (!version.equals(Optional.of(upstream))) {
            throw failure(release, "the package's nats-server reports " + version.orElse("no version (does not run here)"));
        }
        // Copy next to the target, then rename: a concurrent reader never sees half a binary.
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part-" + ProcessHandle.current().pid());
        Files.copy(binary, part, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        out.printf("  nats-server %s (Debian %s, %s) cached at %s%n", upstream, debianVersion, release.suite(), target);
        return target;
    }

    /** The apt options that make every list, cache and source private to this fetch. */
    static List<String> aptOptions(Path work, Path sources) {
        List<String> o = new ArrayList<>();
        for (String setting : List.of("Dir::Etc::sourcelist=" + sources, "Dir::Etc::sourceparts=/dev/null",
                "Dir::State::Lists=" + work.resolve("lists"), "Dir::Cache=" + work.resolve("cache"), "Dir::State::status=/dev/null",
                "Dir::Etc::preferences=/dev/null", "Dir::Etc::preferencesparts=/dev/null")) {
            o.add("-o");
            o.add(setting);
        }
        if ("root".equals(System.getProperty("user.name"))) {
            // As root apt downloads as the user _apt, who may not write into this private directory.
            o.add("-o");
            o.add("APT::Sandbox::User=root");
        }
        return o;
    }

    /**
     * The Debian version (2.10.27-1+b2) of the release in {@code apt-cache madison} output
     * ("nats-server | 2.10.27-1+b2 | http://deb.debian.org/debian trixie/main amd64 Packages").
     */
    static Optional<String> debianVersion(String upstream, String madison) {
        return madison.lines()
                .map(line -> line.split("\\|"))
                .filter(cols -> cols.length >= 2)
                .map(cols -> cols[1].strip())
                .filter(v -> v.startsWith(upstream + "-") || v.matches("\\d+:" + java.util.regex.Pattern.quote(upstream) + "-.*"))
                .findFirst();
    }

    /** The release's Debian version, else (sid moves on) the newest of its line the suite has. */
    private String debianVersion(NatsServerVersions.Release release, String madison) {
        return debianVersion(release.version(), madison).or(() -> sameLine(release.alias(), madison)).orElseThrow(() -> failure(release, "Debian " + release.suite()
                + " has no nats-server " + release.version() + " any more (it has: "
                + madison.lines().map(l -> l.split("\\|")).filter(c -> c.length >= 2).map(c -> c[1].strip()).toList() + ")"));
    }

    static Optional<String> sameLine(String line, String madison) {
        return madison.lines()
                .map(l -> l.split("\\|"))
                .filter(cols -> cols.length >= 2)
                .map(cols -> cols[1].strip())
                .filter(v -> v.replaceFirst("^\\d+:", "").startsWith(line + "."))
                .findFirst();
    }

    private static Optional<Path> binaryIn(Path root) throws IOException {
        Path usual = root.resolve("usr/sbin").resolve(NatsBinary.NAME);
        if (Files.isRegularFile(usual)) {
            return Optional.of(usual);
        }
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> p.getFileName().toString().equals(NatsBinary.NAME) && Files.isRegularFile(p)).findFirst();
        }
    }

    private static Optional<Path> only(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).findFirst();
        }
    }

    private static List<String> command(String tool, List<String> options, String... args) {
        List<String> c = new ArrayList<>();
        c.add(tool);
        c.addAll(options);
        c.addAll(List.of(args));
        return c;
    }

    /** Runs one step in {@code dir}, its output in a file of {@code work} (no pipe to drain); returns the output, or throws with its last line. */
    private String run(NatsServerVersions.Release release, Path work, Path dir, List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile(work, "step-", ".log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            p.getOutputStream().close();
            boolean exited = p.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (!exited) {
                throw failure(release, command.get(0) + " " + step(command) + " did not finish in " + STEP_TIMEOUT.toMinutes() + " min");
            }
            if (p.exitValue() != 0) {
                String last = output.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("no output");
                throw failure(release, command.get(0) + " " + step(command) + " failed (exit " + p.exitValue() + "): " + last.strip());
            }
            return output;
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    /** The words after the -o options: "update", "download nats-server=...". */
    private static String step(List<String> command) {
        List<String> words = new ArrayList<>();
        for (int i = 1; i < command.size(); i++) {
            if (command.get(i).equals("-o")) {
                i++;
            } else if (!command.get(i).startsWith("-")) {
                words.add(command.get(i));
            }
        }
        return String.join(" ", words);
    }

    private LocalLauncher.LaunchException failure(NatsServerVersions.Release release, String why) {
        return new LocalLauncher.LaunchException("--nats " + release.alias() + ": cannot fetch nats-server " + release.version()
                + " from Debian " + release.suite() + ": " + why + "; put the binary at " + NatsServerVersions.cached(cacheRoot, release)
                + " or pass --nats PATH to a nats-server binary");
    }
}

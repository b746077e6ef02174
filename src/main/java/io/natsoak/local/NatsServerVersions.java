package io.natsoak.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The nats-server releases {@code ./natsoak local --nats} can fetch: the one each Debian release
 * ships, so the binary comes from a signed archive and needs no build. {@code scripts/install-test-deps}
 * fetches the same ones into the same cache for the tests, which look them up at
 * {@code ${XDG_CACHE_HOME:-$HOME/.cache}/natsoak/nats-server/<version>/nats-server}.
 */
public final class NatsServerVersions {

    /** One release: what the user may type ({@code alias} or {@code version}) and the Debian suite that ships it. */
    record Release(String alias, String version, String suite) {
    }

    static final List<Release> RELEASES = List.of(
            new Release("2.9", "2.9.10", "bookworm"),
            new Release("2.10", "2.10.27", "trixie"),
            new Release("2.15", "2.15.1", "sid"));

    private NatsServerVersions() {
    }

    /** The release an alias (2.10) or a full version (2.10.27) names. */
    static Optional<Release> find(String value) {
        String v = value.strip();
        return RELEASES.stream().filter(r -> r.alias().equals(v) || r.version().equals(v)).findFirst();
    }

    /** What --nats accepts, for error messages. */
    public static String allowed() {
        return RELEASES.stream().map(Release::alias).collect(Collectors.joining(", ")) + " (" + RELEASES.stream()
                .map(r -> r.version() + " from Debian " + r.suite()).collect(Collectors.joining(", "))
                + ") or the path of a nats-server binary";
    }

    /** {@code ${XDG_CACHE_HOME:-$HOME/.cache}/natsoak/nats-server}: one directory per version. */
    static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("natsoak").resolve("nats-server");
    }

    /**
     * The newest cached release of the same line (2.15.x), if any: what a fetch took when the
     * Debian suite had moved on from the release named here (sid does).
     */
    static Optional<Path> newestCachedOfLine(Path cacheRoot, Release release) {
        return newestCachedOfLine(cacheRoot, release.alias());
    }

    /** The newest cached release of {@code line} (e.g. "2.15": 2.15.10 before 2.15.2) in {@code cacheRoot}, if any; the tests use it too. */
    public static Optional<Path> newestCachedOfLine(Path cacheRoot, String line) {
        if (!Files.isDirectory(cacheRoot)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(cacheRoot)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith(line + "."))
                    .map(d -> d.resolve(NatsBinary.NAME))
                    .filter(b -> Files.isRegularFile(b) && Files.isExecutable(b))
                    .max(Comparator.comparingInt(b -> patch(b.getParent().getFileName().toString())));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int patch(String version) {
        try {
            return Integer.parseInt(version.substring(version.lastIndexOf('.') + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Where the binary of a release lives once fetched. */
    static Path cached(Path cacheRoot, Release release) {
        return cacheRoot.resolve(release.version()).resolve(NatsBinary.NAME);
    }
}

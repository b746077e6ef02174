package io.natsoak.local;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Finds the nats-server executable: the configured path, else PATH and the usual system directories. */
final class NatsBinary {

    static final String NAME = "nats-server";
    /** Searched for "nats-server" after PATH (apt installs it in /usr/sbin, which a user's PATH may lack). */
    static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/usr/local/bin", "/usr/bin");

    private NatsBinary() {
    }

    /** An executable of that name on PATH or in /usr/sbin, /usr/local/bin, /usr/bin. */
    static Optional<Path> onPath(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(EXTRA_DIRS);
        return dirs.stream().filter(d -> !d.isBlank()).map(d -> Paths.get(d, name))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }

    /**
     * Returns the configured path if it is executable; else searches PATH (for the configured command name
     * and for "nats-server") and /usr/sbin, /usr/local/bin, /usr/bin for "nats-server".
     */
    static Optional<String> find(String configured) {
        Set<String> names = new LinkedHashSet<>();
        if (configured != null && !configured.isBlank()) {
            String c = configured.trim();
            if (c.contains("/") || c.contains(File.separator)) {
                Path p = Paths.get(c);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(c);
                }
            } else {
                names.add(c);
            }
        }
        names.add(NAME);
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isBlank()) {
                    dirs.add(d);
                }
            }
        }
        for (String name : names) {
            List<String> searchDirs = new ArrayList<>(dirs);
            if (NAME.equals(name)) {
                searchDirs.addAll(EXTRA_DIRS);
            }
            for (String d : searchDirs) {
                Path candidate = Paths.get(d).resolve(name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toAbsolutePath().toString());
                }
            }
        }
        return Optional.empty();
    }
}

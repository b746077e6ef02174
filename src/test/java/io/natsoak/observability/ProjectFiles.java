package io.natsoak.observability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's files, found from the working directory Maven runs the tests in. */
final class ProjectFiles {

    static final String RULES = "observability/natsoak-rules.yml";
    static final String RULE_TESTS = "observability/tests";
    static final String DASHBOARDS = "grafana-dashboards";
    static final String METRICS_DOC = "docs/metrics.md";
    static final String SCHEMA_CHECK = "observability/schema-check";

    private ProjectFiles() {
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("observability"))) {
                return d;
            }
        }
        throw new IllegalStateException("no natsoak checkout (pom.xml next to observability/) at or above " + dir);
    }

    static Path path(String relative) {
        return root().resolve(relative);
    }

    static String read(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.natsoak.chart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's files the chart tests compare against, found from Maven's working directory. */
final class ChartFiles {

    static final String CHART = "helm/natsoak";
    static final String K8S_MANIFEST = "k8s/natsoak.yaml";
    static final String CHAOS_PERMISSIONS = CHART + "/files/chaos-permissions.yaml";
    static final String RULES = "observability/natsoak-rules.yml";
    static final String DASHBOARDS = "grafana-dashboards";
    static final String APPLICATION_PROPERTIES = "src/main/resources/application.properties";

    private ChartFiles() {
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve(CHART))) {
                return d;
            }
        }
        throw new IllegalStateException("no natsoak checkout (pom.xml next to " + CHART + ") at or above " + dir);
    }

    static Path path(String relative) {
        return root().resolve(relative);
    }

    static String read(String relative) {
        return read(path(relative));
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

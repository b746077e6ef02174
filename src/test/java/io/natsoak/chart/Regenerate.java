package io.natsoak.chart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files derived from others that tests keep in sync (values.schema.json's config section,
 * k8s/natsoak.yaml). A stale one fails its test with the command that rewrites it:
 * the same test with -Dnatsoak.regenerate=true.
 */
final class Regenerate {

    static final String PROPERTY = "natsoak.regenerate";

    private Regenerate() {
    }

    static boolean requested() {
        return Boolean.getBoolean(PROPERTY);
    }

    static String command(String testClass) {
        return "./mvnw -B -ntp test -Dtest=" + testClass + " -D" + PROPERTY + "=true";
    }

    static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

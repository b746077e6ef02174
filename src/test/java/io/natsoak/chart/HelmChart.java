package io.natsoak.chart;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * natsoak's Helm chart, rendered by real Helm (helm-java: Helm 3.16 as a native library). Reusable:
 * {@code HelmChart.natsoak().render().values("worker: {replicas: 5}").objects()} gives the typed
 * Kubernetes objects a release would create, checked for unknown fields ({@link StrictManifests}),
 * e.g. to apply them to the fabric8 mock server.
 */
public final class HelmChart {

    public static final String RELEASE = "natsoak";
    public static final String NAMESPACE = "natsoak";
    /** What a hook annotation becomes in {@link #withHooksAsManifests}, so the hook's object can be inspected. */
    static final String RENDERED_HOOK = "natsoak.test/helm-hook";

    private final Path dir;

    private HelmChart(Path dir) {
        this.dir = dir;
    }

    /** The chart in this checkout (helm/natsoak). */
    public static HelmChart natsoak() {
        return new HelmChart(ChartFiles.path(ChartFiles.CHART));
    }

    public Path dir() {
        return dir;
    }

    public Render render() {
        return new Render(dir);
    }

    /** NOTES.txt as {@code helm install --dry-run} prints it (client only: no cluster). */
    public String notes(String valuesYaml) {
        try {
            Path values = Files.createTempFile("natsoak-values-", ".yaml");
            try {
                Files.writeString(values, valuesYaml, StandardCharsets.UTF_8);
                String out = new Helm(dir).install().withName(RELEASE).withNamespace(NAMESPACE).withValuesFile(values)
                        .dryRun().withDryRunOption(DryRun.CLIENT).clientOnly().debug().call().getOutput();
                int at = out.indexOf("NOTES:");
                return at < 0 ? "" : out.substring(at);
            } finally {
                Files.deleteIfExists(values);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code helm lint --strict} of the chart with its default values. */
    public LintResult lintStrict() {
        return new Helm(dir).lint().strict().call();
    }

    /**
     * A copy of this chart in {@code target} (links resolved, as {@code helm package} does), each file
     * passed through {@code edit} (path relative to the chart, content) -> new content.
     */
    public HelmChart copy(Path target, EditFile edit) {
        try (Stream<Path> files = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String relative = dir.relativize(f).toString();
                Path out = target.resolve(relative);
                Files.createDirectories(out.getParent());
                Files.writeString(out, edit.apply(relative, Files.readString(f, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new HelmChart(target);
    }

    /**
     * A copy whose hooks (the test pod, the pre-install Secret) are plain manifests: Helm leaves hooks
     * out of a template's output, and the tests need to see them. Their annotation becomes
     * {@value #RENDERED_HOOK}.
     */
    public HelmChart withHooksAsManifests(Path target) {
        return copy(target, (path, text) -> path.startsWith("templates/") ? text.replace("helm.sh/hook:", RENDERED_HOOK + ":") : text);
    }

    /** Edits one file of a chart copy. */
    @FunctionalInterface
    public interface EditFile {
        String apply(String relativePath, String content);
    }

    /** One {@code helm template}: release {@value #RELEASE} in namespace {@value #NAMESPACE} unless told otherwise. */
    public static final class Render {
        private final Path dir;
        private final List<String> valuesYaml = new ArrayList<>();
        private final List<Path> valuesFiles = new ArrayList<>();
        private final Map<String, String> sets = new LinkedHashMap<>();
        private String release = RELEASE;
        private String namespace = NAMESPACE;

        private Render(Path dir) {
            this.dir = dir;
        }

        /** A values file of the chart, e.g. values-stress.yaml. */
        public Render valuesFile(String chartFile) {
            valuesFiles.add(dir.resolve(chartFile));
            return this;
        }

        /** Values given as YAML text (applied after the values files, in order). */
        public Render values(String yaml) {
            valuesYaml.add(yaml);
            return this;
        }

        /** {@code --set key=value}. */
        public Render set(String key, String value) {
            sets.put(key, value);
            return this;
        }

        public Render release(String name, String inNamespace) {
            this.release = name;
            this.namespace = inNamespace;
            return this;
        }

        /** The rendered manifest, as {@code helm template --no-hooks} prints it; Helm's error message on failure. */
        public String manifest() {
            List<Path> temp = new ArrayList<>();
            try {
                TemplateCommand cmd = new Helm(dir).template().withName(release).withNamespace(namespace);
                for (Path f : valuesFiles) {
                    cmd = cmd.withValuesFile(f);
                }
                for (String yaml : valuesYaml) {
                    Path f = Files.createTempFile("natsoak-values-", ".yaml");
                    temp.add(f);
                    Files.writeString(f, yaml, StandardCharsets.UTF_8);
                    cmd = cmd.withValuesFile(f);
                }
                for (Map.Entry<String, String> e : sets.entrySet()) {
                    cmd = cmd.set(e.getKey(), e.getValue());
                }
                return cmd.call();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                for (Path f : temp) {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException ignored) {
                        // a temporary values file; the OS cleans its temp directory
                    }
                }
            }
        }

        /** Every rendered object in its typed fabric8 model; fails on unknown fields anywhere (see {@link StrictManifests}). */
        public List<HasMetadata> objects() {
            return StrictManifests.parse(manifest());
        }

        /** The rendered documents with their template (the "# Source:" line Helm writes). */
        public List<StrictManifests.Document> documents() {
            return StrictManifests.documents(manifest());
        }
    }

    /** A chart-relative edit of a single file, for {@link #copy}. */
    static EditFile editing(String relativePath, UnaryOperator<String> edit) {
        return (path, text) -> path.equals(relativePath) ? edit.apply(text) : text;
    }
}

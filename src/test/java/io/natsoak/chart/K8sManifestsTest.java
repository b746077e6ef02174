package io.natsoak.chart;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** k8s/natsoak.yaml, for `kubectl apply` users, is exactly the chart's default render. */
class K8sManifestsTest {

    private static final Path MANIFEST = ChartFiles.path(ChartFiles.K8S_MANIFEST);

    @Test
    void k8sManifestIsTheChartsDefaultRender() {
        String render = HelmChart.natsoak().render().manifest();
        if (Regenerate.requested()) {
            Regenerate.write(MANIFEST, render);
        }
        assertThat(ChartFiles.read(MANIFEST))
                .as(ChartFiles.K8S_MANIFEST + " is stale: rewrite it with k8s/regenerate.sh (helm CLI) or "
                        + Regenerate.command(getClass().getSimpleName()))
                .isEqualTo(render);
    }

    @Test
    void k8sManifestHoldsNoPasswordAndNoHookAndSaysWhichSecretToCreate() {
        String text = ChartFiles.read(MANIFEST);
        List<HasMetadata> objects = StrictManifests.parse(text);
        assertThat(objects).noneMatch(o -> o instanceof Secret);
        assertThat(text).doesNotContain("helm.sh/hook");
        assertThat(text).contains("name: natsoak-nats-credentials").contains("key: app-password").contains("key: chaos-password");
        String readme = ChartFiles.read("k8s/README.md");
        assertThat(readme).contains("natsoak-nats-credentials").contains("app-password").contains("chaos-password");
    }
}

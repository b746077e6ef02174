package io.natsoak.chart;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The unknown-field check can fail: typos in manifests and in the chart's own templates are caught. */
class StrictManifestsTest {

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: demo
            spec:
              selector:
                matchLabels: {app: demo}
              template:
                metadata:
                  labels: {app: demo}
                spec:
                  %s:
                    - name: demo
                      image: demo:1
                      %s: IfNotPresent
                      resources:
                        limits: {memory: 64Mi}
            """;

    @Test
    void aCorrectManifestParsesIntoTheTypedModel() {
        List<HasMetadata> objects = StrictManifests.parse(DEPLOYMENT.formatted("containers", "imagePullPolicy"));
        assertThat(objects).singleElement().isInstanceOf(Deployment.class);
        assertThat(((Deployment) objects.get(0)).getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
    }

    @Test
    void aMisspeltFieldIsReportedWithItsPath() {
        assertThatThrownBy(() -> StrictManifests.parse(DEPLOYMENT.formatted("contianers", "imagePullPolicy")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Deployment demo")
                .hasMessageContaining("unknown field spec.template.spec.contianers");
    }

    @Test
    void unknownFieldsAreFoundDeepInListsAndMaps() {
        String manifest = DEPLOYMENT.formatted("containers", "imagePullPolicyy");
        assertThatThrownBy(() -> StrictManifests.parse(manifest))
                .hasMessageContaining("unknown field spec.template.spec.containers[0].imagePullPolicyy");
        assertThat(StrictManifests.unknownFields(StrictManifests.parse(DEPLOYMENT.formatted("containers", "imagePullPolicy")).get(0))).isEmpty();
    }

    @Test
    void aMisspeltSpecFieldIsReported() {
        String manifest = DEPLOYMENT.formatted("containers", "imagePullPolicy").replace("  selector:", "  replica: 3\n  selector:");
        assertThatThrownBy(() -> StrictManifests.parse(manifest)).hasMessageContaining("unknown field spec.replica");
    }

    @Test
    void aKindWithoutATypedModelIsReported() {
        String manifest = """
                apiVersion: example.com/v1
                kind: Widget
                metadata:
                  name: w
                """;
        assertThatThrownBy(() -> StrictManifests.parse(manifest)).hasMessageContaining("no typed model for example.com/v1/Widget");
    }

    /** The same check on the real chart: a typo put into a template fails the render's objects(). */
    @Test
    void aTypoInAChartTemplateFailsTheRender(@TempDir Path copy) {
        HelmChart broken = HelmChart.natsoak().copy(copy, HelmChart.editing("templates/_pod.tpl",
                text -> text.replace("  containers:\n", "  contianers:\n")));
        assertThatThrownBy(() -> broken.render().objects())
                .hasMessageContaining("Deployment natsoak-worker (natsoak/templates/worker.yaml): unknown field spec.template.spec.contianers")
                .hasMessageContaining("StatefulSet natsoak-producer (natsoak/templates/producer.yaml): unknown field spec.template.spec.contianers");
        HelmChart misplaced = HelmChart.natsoak().copy(copy.resolve("second"), HelmChart.editing("templates/nats.yaml",
                text -> text.replace("  publishNotReadyAddresses: true", "  publishNotReadyAdresses: true")));
        assertThatThrownBy(() -> misplaced.render().objects())
                .hasMessageContaining("Service natsoak-nats-headless (natsoak/templates/nats.yaml): unknown field spec.publishNotReadyAdresses");
    }
}

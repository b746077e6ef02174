package io.natsoak.chart;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two image definitions (Dockerfile.jvm, the pom's Jib profile) agree with each other and with
 * the chart: the same base image and start command, the user the chart's pods run as, the port it
 * probes. (No container engine here: the images themselves are built by users, see the README.)
 */
class ImageDefinitionTest {

    private static final String DOCKERFILE = ChartFiles.read("src/main/docker/Dockerfile.jvm");
    private static final String POM = ChartFiles.read("pom.xml");

    @Test
    void dockerfileAndJibBuildTheSameImage() {
        assertThat(line("^FROM (\\S+)$")).isEqualTo(pomProperty("quarkus.jib.base-jvm-image"));
        assertThat(line("^USER (\\S+)$")).isEqualTo(pomProperty("quarkus.jib.user"));
        String entrypoint = line("^ENTRYPOINT \\[ (.+) ]$").replace("\"", "").replace(", ", ",");
        assertThat(entrypoint.replace("/deployments/quarkus-run.jar", "quarkus-run.jar")).isEqualTo(pomProperty("quarkus.jib.jvm-entrypoint"));
        assertThat(DOCKERFILE).contains("ENV QUARKUS_HTTP_HOST=0.0.0.0");
        assertThat(pomProperty("quarkus.jib.environment-variables.QUARKUS_HTTP_HOST")).isEqualTo("0.0.0.0");
    }

    @Test
    void chartRunsTheImagesUserOnTheImagesPort() {
        List<HasMetadata> objects = HelmChart.natsoak().render().values("chaos: {enabled: true}").objects();
        Map<String, PodSpec> pods = Pods.specs(objects);
        long user = Long.parseLong(line("^USER (\\S+)$"));
        int port = Integer.parseInt(line("^EXPOSE (\\d+)$"));
        pods.forEach((name, pod) -> pod.getContainers().stream().filter(c -> c.getName().equals("natsoak")).forEach(c -> {
            assertThat(pod.getSecurityContext().getRunAsUser()).as(name + " runAsUser").isEqualTo(user);
            assertThat(c.getPorts()).as(name + " ports").anyMatch(p -> p.getContainerPort() == port);
        }));
        assertThat(pods.values().stream().filter(p -> p.getContainers().stream().anyMatch(c -> c.getName().equals("natsoak")))).hasSize(4);
    }

    private static String line(String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(DOCKERFILE);
        assertThat(m.find()).as("Dockerfile.jvm: " + regex).isTrue();
        return m.group(1);
    }

    private static String pomProperty(String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(POM);
        assertThat(m.find()).as("pom.xml property " + name).isTrue();
        return m.group(1);
    }
}

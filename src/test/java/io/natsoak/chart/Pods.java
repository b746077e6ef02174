package io.natsoak.chart;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** The pod specs of rendered workloads, by "Kind/name". */
final class Pods {

    private Pods() {
    }

    static Map<String, PodSpec> specs(List<HasMetadata> objects) {
        Map<String, PodSpec> out = new LinkedHashMap<>();
        for (HasMetadata o : objects) {
            template(o).map(PodTemplateSpec::getSpec).or(() -> o instanceof Pod p ? Optional.of(p.getSpec()) : Optional.empty())
                    .ifPresent(spec -> out.put(o.getKind() + "/" + o.getMetadata().getName(), spec));
        }
        return out;
    }

    static Optional<PodTemplateSpec> template(HasMetadata o) {
        if (o instanceof Deployment d) {
            return Optional.of(d.getSpec().getTemplate());
        }
        if (o instanceof StatefulSet s) {
            return Optional.of(s.getSpec().getTemplate());
        }
        if (o instanceof DaemonSet d) {
            return Optional.of(d.getSpec().getTemplate());
        }
        if (o instanceof Job j) {
            return Optional.of(j.getSpec().getTemplate());
        }
        return Optional.empty();
    }

    static List<Container> allContainers(PodSpec spec) {
        List<Container> out = new ArrayList<>(spec.getContainers());
        Optional.ofNullable(spec.getInitContainers()).ifPresent(out::addAll);
        return out;
    }

    static <T extends HasMetadata> Stream<T> ofKind(List<HasMetadata> objects, Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast);
    }

    static <T extends HasMetadata> T named(List<HasMetadata> objects, Class<T> kind, String name) {
        return ofKind(objects, kind).filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name + " in the render"));
    }
}

package io.natsoak.chart;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads rendered manifests into fabric8's typed Kubernetes model and refuses anything the model does
 * not know. fabric8 keeps unknown fields (a typo such as {@code contianers}, a field at the wrong
 * level, a value of the wrong type) in each object's {@code additionalProperties} instead of failing,
 * so this walks every object graph and fails on any non-empty {@code additionalProperties}, and on
 * kinds without a typed model.
 */
public final class StrictManifests {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Only for bean introspection: which JSON property each getter is. */
    private static final ObjectMapper INTROSPECTION = new ObjectMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern SOURCE = Pattern.compile("^# Source: (\\S+)", Pattern.MULTILINE);
    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    private StrictManifests() {
    }

    /** One YAML document of a manifest and the template it came from (null when Helm did not say). */
    public record Document(String source, String text) {
    }

    public static List<Document> documents(String manifest) {
        List<Document> out = new ArrayList<>();
        for (String doc : SEPARATOR.split(manifest)) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
                continue;
            }
            Matcher m = SOURCE.matcher(doc);
            out.add(new Document(m.find() ? m.group(1) : null, doc));
        }
        return out;
    }

    /** The typed objects of a manifest; an AssertionError listing every unknown field or untyped kind. */
    public static List<HasMetadata> parse(String manifest) {
        List<HasMetadata> objects = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Document doc : documents(manifest)) {
            JsonNode node;
            try {
                node = YAML.readTree(doc.text());
            } catch (IOException e) {
                throw new UncheckedIOException("not YAML (" + doc.source() + ")", e);
            }
            String where = node.path("kind").asText() + " " + node.path("metadata").path("name").asText() + " (" + doc.source() + ")";
            Class<? extends KubernetesResource> type = SERIALIZATION.getRegisteredKubernetesResource(
                    node.path("apiVersion").asText(), node.path("kind").asText());
            if (type == null || type == GenericKubernetesResource.class) {
                problems.add(where + ": no typed model for " + node.path("apiVersion").asText() + "/" + node.path("kind").asText());
                continue;
            }
            KubernetesResource resource = SERIALIZATION.convertValue(node, type);
            problems.addAll(unknownFields(resource).stream().map(p -> where + ": unknown field " + p).toList());
            objects.add((HasMetadata) resource);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("rendered objects the Kubernetes model does not know:\n  " + String.join("\n  ", problems));
        }
        return objects;
    }

    /** Paths of every unknown field in an object graph of the fabric8 model, e.g. {@code spec.template.spec.contianers}. */
    public static List<String> unknownFields(Object model) {
        List<String> out = new ArrayList<>();
        walk(model, "", out);
        return out;
    }

    private static void walk(Object value, String path, List<String> out) {
        if (value == null || value instanceof Quantity || value instanceof IntOrString || !isModel(value)) {
            if (value instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    walk(list.get(i), path + "[" + i + "]", out);
                }
            } else if (value instanceof Map<?, ?> map) {
                map.forEach((k, v) -> walk(v, path + "[" + k + "]", out));
            }
            return;
        }
        BeanDescription bean = INTROSPECTION.getSerializationConfig().introspect(INTROSPECTION.constructType(value.getClass()));
        AnnotatedMember anyGetter = bean.findAnyGetter();
        if (anyGetter != null && anyGetter.getValue(value) instanceof Map<?, ?> extra && !extra.isEmpty()) {
            extra.keySet().forEach(k -> out.add(join(path, String.valueOf(k))));
        }
        for (BeanPropertyDefinition property : bean.findProperties()) {
            AnnotatedMember accessor = property.getAccessor();
            if (accessor != null) {
                walk(accessor.getValue(value), join(path, property.getName()), out);
            }
        }
    }

    private static boolean isModel(Object value) {
        return value.getClass().getName().startsWith("io.fabric8.") && !(value instanceof Enum<?>);
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}

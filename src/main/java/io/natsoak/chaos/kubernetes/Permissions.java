package io.natsoak.chaos.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The Kubernetes API calls the chaos operator may make: helm/natsoak/files/chaos-permissions.yaml,
 * the same list the chart renders its Role from, packaged on the classpath as
 * {@value #RESOURCE}. {@link #decide} maps an HTTP request to the RBAC verb, API group and
 * resource it needs (the way the API server's authorizer does) and says whether the list grants it.
 */
public final class Permissions {

    public static final String RESOURCE = "/chaos/chaos-permissions.yaml";

    /** One permitted call: verb on {@code group}/{@code resource} (a subresource as {@code pods/eviction}). */
    public record Grant(String group, String resource, String verb) {
        @Override
        public String toString() {
            return verb + " " + (group.isEmpty() ? "" : group + "/") + resource;
        }
    }

    private final Set<Grant> grants;

    private Permissions(Set<Grant> grants) {
        this.grants = Set.copyOf(grants);
    }

    /** The packaged list. */
    public static Permissions packaged() {
        try (InputStream in = Permissions.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the application");
            }
            return parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the {@code rules:} of a Role-like YAML document. */
    public static Permissions parse(InputStream yaml) throws IOException {
        JsonNode root = new YAMLMapper().readTree(yaml);
        Set<Grant> grants = new LinkedHashSet<>();
        for (JsonNode rule : root.path("rules")) {
            for (JsonNode group : rule.path("apiGroups")) {
                for (JsonNode resource : rule.path("resources")) {
                    for (JsonNode verb : rule.path("verbs")) {
                        grants.add(new Grant(group.asText(), resource.asText(), verb.asText()));
                    }
                }
            }
        }
        return new Permissions(grants);
    }

    public static Permissions of(Set<Grant> grants) {
        return new Permissions(grants);
    }

    public Set<Grant> grants() {
        return grants;
    }

    public boolean allows(Grant needed) {
        return grants.contains(needed);
    }

    /** What a request needs; empty for non-resource paths (/version, /openapi, ...), which the operator never calls either. */
    public static Optional<Grant> needed(String method, URI uri) {
        List<String> parts = new ArrayList<>();
        for (String p : uri.getPath().split("/")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        String group;
        int i;
        if (parts.size() >= 2 && parts.get(0).equals("api")) {
            group = "";
            i = 2;
        } else if (parts.size() >= 3 && parts.get(0).equals("apis")) {
            group = parts.get(1);
            i = 3;
        } else {
            return Optional.empty();
        }
        if (parts.size() > i + 1 && parts.get(i).equals("namespaces")) {
            i += 2; // namespaces/<ns>/<resource>...
        }
        if (parts.size() <= i) {
            return Optional.empty();
        }
        String resource = parts.get(i);
        boolean named = parts.size() > i + 1;
        if (parts.size() > i + 2) {
            resource = resource + "/" + parts.get(i + 2);
        }
        String query = uri.getQuery() == null ? "" : uri.getQuery();
        String verb = switch (method.toUpperCase(Locale.ROOT)) {
            case "GET", "HEAD" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> method.toLowerCase(Locale.ROOT);
        };
        return Optional.of(new Grant(group, resource, verb));
    }

    /** Null when the request is permitted, else why not. */
    public String refusal(String method, URI uri) {
        Optional<Grant> needed = needed(method, uri);
        if (needed.isEmpty()) {
            return "the chaos operator makes no call outside the resource API (" + method + " " + uri.getPath() + ")";
        }
        return allows(needed.get()) ? null
                : "\"" + needed.get() + "\" is not in chaos-permissions.yaml (" + method + " " + uri.getPath() + ")";
    }
}

package io.natsoak.chart;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.natsoak.config.SettingCatalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The chart's {@code config} values section as JSON Schema, derived from {@link SettingCatalog}
 * (what {@code ./natsoak settings} prints): every natsoak setting nested by its key, typed, and
 * nothing else, so a misspelt or unknown setting stops {@code helm install} instead of becoming an
 * environment variable natsoak ignores. values.schema.json holds a copy that ValuesSchemaTest keeps
 * equal to this (regenerate with -Dnatsoak.regenerate=true).
 */
final class ConfigSchema {

    /** Settings only the local launcher reads; the chart has no use for them. */
    static final String LOCAL_ONLY = "natsoak.local.";
    /** Quarkus' duration syntax: whole seconds, a number with ms/s/m/h/d, or ISO-8601 (PT5S). */
    static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d)?|[Pp][0-9A-Za-z.]+)$";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigSchema() {
    }

    static ObjectNode fromCatalog() {
        ObjectNode root = group("natsoak settings without the \"natsoak.\" prefix, nested by key (./natsoak settings lists them)");
        for (SettingCatalog.Setting s : SettingCatalog.all().values()) {
            if (s.key().startsWith(LOCAL_ONLY)) {
                continue;
            }
            String[] path = s.key().substring("natsoak.".length()).split("\\.");
            ObjectNode node = root;
            for (String part : Arrays.copyOf(path, path.length - 1)) {
                ObjectNode props = (ObjectNode) node.get("properties");
                if (!props.has(part)) {
                    props.set(part, group(null));
                }
                node = (ObjectNode) props.get(part);
            }
            ((ObjectNode) node.get("properties")).set(path[path.length - 1], leaf(s));
        }
        return root;
    }

    private static ObjectNode group(String description) {
        ObjectNode g = JSON.createObjectNode();
        g.put("type", "object");
        g.put("additionalProperties", false);
        if (description != null) {
            g.put("description", description);
        }
        g.set("properties", JSON.createObjectNode());
        return g;
    }

    private static ObjectNode leaf(SettingCatalog.Setting s) {
        String allowed = s.allowed().replace(" (optional)", "");
        ObjectNode n = JSON.createObjectNode();
        n.put("description", s.key() + ": " + s.allowed() + (s.defaultValue() == null ? "" : " [default: " + s.defaultValue() + "]"));
        type(allowed, n, s.key());
        return n;
    }

    private static void type(String allowed, ObjectNode n, String key) {
        if (allowed.equals("a whole number")) {
            n.put("type", "integer");
        } else if (allowed.equals("a number")) {
            n.put("type", "number");
        } else if (allowed.equals("true or false")) {
            n.put("type", "boolean");
        } else if (allowed.equals("text")) {
            n.put("type", "string");
        } else if (allowed.startsWith("a duration")) {
            ArrayNode types = n.putArray("type");
            types.add("string").add("integer");
            n.put("pattern", DURATION_PATTERN);
        } else if (allowed.startsWith("one of ")) {
            n.put("type", "string");
            ArrayNode values = n.putArray("enum");
            Arrays.stream(allowed.substring("one of ".length()).split(", ")).forEach(values::add);
        } else if (allowed.startsWith("a comma-separated list of ")) {
            ArrayNode types = n.putArray("type");
            types.add("string").add("array");
            ObjectNode items = n.putObject("items");
            type(allowed.substring("a comma-separated list of ".length()), items, key);
            items.remove("description");
        } else {
            throw new IllegalStateException(key + ": the chart's schema has no JSON type for settings described as \"" + allowed
                    + "\"; teach ConfigSchema.type() about it");
        }
    }

    /** Every natsoak setting by the environment variable that sets it. */
    static Map<String, String> settingsByEnvironmentName() {
        return SettingCatalog.all().keySet().stream().collect(Collectors.toMap(ConfigSchema::environmentName, Function.identity()));
    }

    /** The key as the environment variable natsoak reads: NATSOAK_WORKER_PROCESSING_DELAY_MIN. */
    static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** JSON as values.schema.json is written: two-space indentation, one array element per line. */
    static String pretty(JsonNode node) {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
                .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        try {
            return JSON.writer(printer).writeValueAsString(node) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.natsoak.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Grafana dashboards (grafana-dashboards/*.json): structure, variables, the chaos annotation,
 * every expression parsed by the real Prometheus parser, no counter function on a gauge, every
 * metric in the catalogue, and (with node installed) Grafana's own schema types through tsc.
 */
class DashboardsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DS_UID = "${datasource}";
    private static final List<String> EXPECTED = List.of("leak-watch.json", "nats-jetstream.json", "rebalance-and-chaos.json",
            "soak-overview.json");
    private static final Set<String> PANEL_TYPES = Set.of("row", "timeseries", "stat", "table", "heatmap", "state-timeline");
    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\)$");
    private static final Pattern OWN_METRIC = Pattern.compile("^(natsoak_|jvm_|process_)");

    private final Map<String, JsonNode> dashboards = load();
    private final MetricCatalogue catalogue = MetricCatalogue.load();

    @Test
    void theFourDashboardsAreThere() {
        assertThat(dashboards.keySet()).containsExactlyElementsOf(EXPECTED);
        Set<String> uids = new HashSet<>();
        dashboards.forEach((file, d) -> {
            assertThat(d.path("uid").asText()).as(file + " uid").matches("[a-z0-9-]{1,40}");
            assertThat(uids.add(d.path("uid").asText())).as(file + " uid is unique").isTrue();
            assertThat(d.path("title").asText()).as(file + " title").startsWith("natsoak / ");
            assertThat(d.path("schemaVersion").asInt()).as(file + " schemaVersion").isBetween(36, 41);
            assertThat(d.path("tags").toString()).as(file + " tags").contains("\"natsoak\"");
            assertThat(d.path("id").isMissingNode() || d.path("id").isNull()).as(file + ": no instance-specific id").isTrue();
        });
    }

    @Test
    void variablesAreDatasourceNamespaceRoleAndPod() {
        dashboards.forEach((file, d) -> {
            Map<String, JsonNode> vars = new LinkedHashMap<>();
            d.path("templating").path("list").forEach(v -> vars.put(v.path("name").asText(), v));
            assertThat(vars.keySet()).as(file + " variables").contains("datasource", "namespace", "role", "pod");
            JsonNode ds = vars.get("datasource");
            assertThat(ds.path("type").asText()).isEqualTo("datasource");
            assertThat(ds.path("query").asText()).isEqualTo("prometheus");
            vars.values().stream().filter(v -> v.path("type").asText().equals("query")).forEach(v -> {
                String name = v.path("name").asText();
                assertThat(v.path("datasource").path("uid").asText()).as(file + " variable " + name + " data source").isEqualTo(DS_UID);
                assertThat(v.path("query").asText()).as(file + " variable " + name).matches(LABEL_VALUES.pattern());
                assertThat(v.path("includeAll").asBoolean() && v.path("allValue").asText().equals(".*"))
                        .as(file + " variable " + name + ": All must match a missing label too (local runs)").isTrue();
            });
        });
        JsonNode nats = dashboards.get("nats-jetstream.json");
        List<String> natsVars = new ArrayList<>();
        nats.path("templating").path("list").forEach(v -> natsVars.add(v.path("name").asText()));
        assertThat(natsVars).as("exporter prefixes as variables").contains("varz_prefix", "jsz_prefix");
    }

    @Test
    void chaosEventsAreAnnotations() {
        dashboards.forEach((file, d) -> {
            List<JsonNode> chaos = new ArrayList<>();
            d.path("annotations").path("list").forEach(a -> {
                if (a.path("expr").asText().contains("natsoak_chaos_events_total")) {
                    chaos.add(a);
                }
            });
            assertThat(chaos).as(file + ": an annotation from natsoak_chaos_events_total").hasSize(1);
            JsonNode a = chaos.get(0);
            assertThat(a.path("enable").asBoolean()).as(file + " chaos annotation enabled").isTrue();
            assertThat(a.path("datasource").path("uid").asText()).as(file + " chaos annotation data source").isEqualTo(DS_UID);
            assertThat(a.path("tagKeys").asText()).contains("event").contains("outcome");
            // a dashboard annotation shows on every time series panel unless a filter picks panels
            assertThat(a.has("filter")).as(file + " chaos annotation on every panel: no panel filter").isFalse();
            if (a.has("target")) {
                assertThat(a.path("target").path("expr").asText()).as(file + " chaos annotation target = expr").isEqualTo(a.path("expr").asText());
            }
        });
    }

    @Test
    void panelsHaveUniqueIdsGridPositionsAndTheDatasourceVariable() {
        dashboards.forEach((file, d) -> {
            List<JsonNode> panels = panels(d);
            assertThat(panels).as(file + " panels").hasSizeGreaterThanOrEqualTo(8);
            Set<Integer> ids = new HashSet<>();
            List<int[]> boxes = new ArrayList<>();
            for (JsonNode p : panels) {
                String where = file + " panel " + p.path("id").asText() + " '" + p.path("title").asText() + "'";
                assertThat(p.path("id").isInt()).as(where + " id").isTrue();
                assertThat(ids.add(p.path("id").asInt())).as(where + ": id is unique").isTrue();
                assertThat(p.path("type").asText()).as(where + " type").isIn(PANEL_TYPES);
                assertThat(p.path("title").asText()).as(where + " title").isNotBlank();
                JsonNode g = p.path("gridPos");
                for (String k : List.of("x", "y", "w", "h")) {
                    assertThat(g.path(k).isInt()).as(where + " gridPos." + k).isTrue();
                }
                int x = g.path("x").asInt(), y = g.path("y").asInt(), w = g.path("w").asInt(), h = g.path("h").asInt();
                assertThat(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24).as(where + " gridPos inside 24 columns: " + g).isTrue();
                for (int[] b : boxes) {
                    boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                    assertThat(overlap).as(where + " overlaps another panel at " + List.of(b[0], b[1], b[2], b[3])).isFalse();
                }
                boxes.add(new int[] {x, y, w, h});
                if (p.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(p.path("description").asText()).as(where + " description").isNotBlank();
                assertThat(p.path("datasource").path("uid").asText()).as(where + " datasource").isEqualTo(DS_UID);
                assertThat(p.path("datasource").path("type").asText()).as(where + " datasource type").isEqualTo("prometheus");
                JsonNode targets = p.path("targets");
                assertThat(targets.size()).as(where + " targets").isPositive();
                Set<String> refIds = new HashSet<>();
                for (JsonNode t : targets) {
                    assertThat(t.path("expr").asText()).as(where + " target expr").isNotBlank();
                    assertThat(refIds.add(t.path("refId").asText())).as(where + " refId unique").isTrue();
                    assertThat(t.path("datasource").path("uid").asText()).as(where + " target datasource").isEqualTo(DS_UID);
                }
            }
        });
    }

    @Test
    void noCounterFunctionIsAppliedToAGauge() {
        expressions().forEach((where, expr) -> assertThat(PromQl.counterFunctionsOnGauges(expr, catalogue::isCounterLike))
                .as(where + ": rate()/irate()/increase() of a gauge in " + expr).isEmpty());
    }

    @Test
    void everyMetricIsInTheCatalogue() {
        expressions().forEach((where, expr) -> {
            for (String name : PromQl.metricNames(expr)) {
                assertThat(catalogue.contains(name)).as(where + " uses " + name + ", which docs/metrics.md does not list").isTrue();
            }
        });
    }

    @Test
    void natsoakQueriesFollowTheNamespaceVariable() {
        expressions().forEach((where, expr) -> {
            boolean own = PromQl.metricNames(expr).stream().anyMatch(n -> OWN_METRIC.matcher(n).find());
            if (own && !where.contains("variable")) {
                assertThat(expr).as(where + " selects natsoak series, so it must filter on $namespace").contains("namespace=~\"$namespace\"");
            }
        });
    }

    /** Every expression through the real Prometheus parser: promtool check rules on recording rules. */
    @Test
    void everyExpressionParses() throws IOException {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-expressions\n    rules:\n");
        List<String> index = new ArrayList<>();
        expressions().forEach((where, expr) -> {
            index.add(where);
            String promql = PromQl.substituteGrafanaVariables(expr);
            rules.append("      - record: natsoak:dashboard_check_").append(index.size()).append('\n');
            rules.append("        expr: '").append(promql.replace("'", "''").replace("\n", " ")).append("'\n");
        });
        Path file = Files.createTempFile("natsoak-dashboard-exprs", ".yml");
        try {
            Files.writeString(file, rules, StandardCharsets.UTF_8);
            Promtool.Result r = Promtool.run(ProjectFiles.root(), "check", "rules", file.toString());
            assertEquals(0, r.exitCode(), () -> "promtool rejects a dashboard expression (rule N = N-th of "
                    + String.join(", ", index) + "):\n" + r.output());
            assertThat(r.output()).contains("SUCCESS: " + index.size() + " rules found");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Grafana's own schema types (@grafana/schema) through tsc, when node is installed:
     * observability/schema-check (npm ci on first use). Also shows it can fail: a dashboard with a
     * misspelt grid position and an unknown draw style must be rejected.
     */
    @Test
    void typeChecksAgainstGrafanaSchema() throws Exception {
        Path node = onPath("node");
        Path npm = onPath("npm");
        // A real part that is missing fails the test, never skips it: ./run-tests installs node and npm.
        assertTrue(node != null && npm != null, "node/npm not installed: apt-get install nodejs npm (./run-tests does this)");
        Path dir = ProjectFiles.path(ProjectFiles.SCHEMA_CHECK);
        if (!Files.isDirectory(dir.resolve("node_modules/@grafana/schema"))) {
            Exec install = exec(dir, 300, npm.toString(), "ci", "--no-audit", "--no-fund");
            assertEquals(0, install.code, () -> "npm ci in " + dir + ":\n" + install.output);
        }
        Exec good = exec(dir, 120, node.toString(), "check.mjs");
        assertEquals(0, good.code, () -> "dashboards do not type-check against @grafana/schema:\n" + good.output);

        Path bad = Files.createTempDirectory("natsoak-bad-dashboard");
        try {
            JsonNode d = JSON.readTree(ProjectFiles.path(ProjectFiles.DASHBOARDS).resolve("leak-watch.json").toFile());
            ObjectNode panel = (ObjectNode) panels(d).stream()
                    .filter(p -> p.path("type").asText().equals("timeseries")).findFirst().orElseThrow();
            panel.set("gridpos", panel.remove("gridPos"));
            ((ObjectNode) panel.path("fieldConfig").path("defaults").path("custom"))
                    .put("drawStyle", "wiggly");
            JSON.writeValue(bad.resolve("broken.json").toFile(), d);
            Exec broken = exec(dir, 120, node.toString(), "check.mjs", bad.toString());
            assertThat(broken.code).as("the schema check must reject a broken dashboard:\n" + broken.output).isNotZero();
            assertThat(broken.output).contains("wiggly").contains("gridpos");
        } finally {
            try (Stream<Path> s = Files.walk(bad)) {
                s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ---------------------------------------------------------------------------------------

    private static Map<String, JsonNode> load() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(ProjectFiles.path(ProjectFiles.DASHBOARDS))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                out.put(p.getFileName().toString(), JSON.readTree(p.toFile()));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Top-level panels and the panels inside rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    /** Every PromQL expression of every dashboard: targets, annotations, query variables' selectors. */
    private Map<String, String> expressions() {
        Map<String, String> out = new LinkedHashMap<>();
        dashboards.forEach((file, d) -> out.putAll(expressionsOf(file, d)));
        assertThat(out).isNotEmpty();
        return out;
    }

    /** The PromQL expressions of one dashboard, keyed by where they are (also used by PrometheusScrapeIT). */
    static Map<String, String> expressionsOf(String file, JsonNode d) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode p : panels(d)) {
            int i = 0;
            for (JsonNode t : p.path("targets")) {
                out.put(file + " panel '" + p.path("title").asText() + "' target " + i++, t.path("expr").asText());
            }
        }
        d.path("annotations").path("list").forEach(a -> {
            if (a.has("expr")) {
                out.put(file + " annotation '" + a.path("name").asText() + "'", a.path("expr").asText());
            }
            if (a.path("target").has("expr")) {
                out.put(file + " annotation target '" + a.path("name").asText() + "'", a.path("target").path("expr").asText());
            }
        });
        d.path("templating").path("list").forEach(v -> {
            Matcher m = LABEL_VALUES.matcher(v.path("query").asText());
            if (v.path("type").asText().equals("query") && m.matches()) {
                out.put(file + " variable " + v.path("name").asText(), m.group(1));
            }
        });
        return out;
    }

    private static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return Path.of(dir, command);
            }
        }
        return null;
    }

    private record Exec(int code, String output) {
    }

    private static Exec exec(Path dir, int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("natsoak-schema-check", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Exec(-1, String.join(" ", command) + " timed out after " + timeoutSeconds + " s");
            }
            return new Exec(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}

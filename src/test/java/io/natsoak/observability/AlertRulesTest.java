package io.natsoak.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The alert rules (observability/natsoak-rules.yml): promtool checks and unit-tests them for real,
 * every alert is well formed and exercised, gauges never meet counter functions, and every copy of
 * the rules (a PrometheusRule) is the same file.
 */
class AlertRulesTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> SEVERITIES = Set.of("warning", "critical");
    private static final String GROWTH_GROUP = "natsoak-resource-growth";
    /** Growth against each process' own baseline: no uptime gate, but silent on sawtooths too. */
    private static final String BASELINE_GROUP = "natsoak-resource-baseline";
    private static final Pattern ALERTS_REGEX = Pattern.compile("ALERTS\\{alertname=~?\"([^\"]+)\"([^}]*)}");

    private final JsonNode rules = readYaml(ProjectFiles.path(ProjectFiles.RULES));

    @Test
    void promtoolIsInstalled() {
        assertThat(Promtool.require()).isNotNull();
    }

    @Test
    void promtoolCheckRulesAcceptsTheRules() {
        Promtool.Result r = Promtool.run(ProjectFiles.root(), "check", "rules", ProjectFiles.RULES);
        assertEquals(0, r.exitCode(), () -> "promtool check rules " + ProjectFiles.RULES + ":\n" + r.output());
        assertThat(r.output()).contains("SUCCESS: " + alerts().size() + " rules found");
    }

    /** Every promtool unit-test file, run at once (they take seconds each), one JUnit test per file. */
    @TestFactory
    Stream<DynamicTest> promtoolTestRules() throws IOException {
        List<Path> files = testFiles();
        assertThat(files).as("promtool test files in " + ProjectFiles.RULE_TESTS).hasSizeGreaterThanOrEqualTo(4);
        Path dir = ProjectFiles.path(ProjectFiles.RULE_TESTS);
        Map<Path, Promtool.Run> runs = new LinkedHashMap<>();
        for (Path f : files) {
            runs.put(f, Promtool.start(dir, "test", "rules", f.getFileName().toString()));
        }
        return runs.entrySet().stream().map(e -> DynamicTest.dynamicTest("promtool test rules " + e.getKey().getFileName(), () -> {
            Promtool.Result r = e.getValue().await();
            assertEquals(0, r.exitCode(), () -> "promtool test rules " + e.getKey().getFileName() + ":\n" + r.output());
            assertThat(r.output()).contains("SUCCESS");
        }));
    }

    @Test
    void everyAlertHasForSeverityAndAnnotations() {
        for (JsonNode rule : alerts()) {
            String name = rule.path("alert").asText();
            assertThat(name).as("alert name").startsWith("Natsoak");
            assertThat(rule.path("expr").asText()).as(name + " expr").isNotBlank();
            assertThat(rule.path("for").asText()).as(name + " for:").matches("[0-9]+[smh]");
            assertThat(rule.path("labels").path("severity").asText()).as(name + " severity").isIn(SEVERITIES);
            for (String annotation : List.of("summary", "description", "runbook_url")) {
                assertThat(rule.path("annotations").path(annotation).asText()).as(name + " annotation " + annotation).isNotBlank();
            }
        }
        assertThat(alerts().stream().map(r -> r.path("alert").asText())).doesNotHaveDuplicates();
    }

    @Test
    void runbookLinksPointAtSectionsOfTheMetricsDoc() {
        Set<String> anchors = markdownAnchors(ProjectFiles.read(ProjectFiles.METRICS_DOC));
        for (JsonNode rule : alerts()) {
            String name = rule.path("alert").asText();
            String url = rule.path("annotations").path("runbook_url").asText();
            assertThat(url).as(name + " runbook_url").isEqualTo(ProjectFiles.METRICS_DOC + "#" + name.toLowerCase());
            assertThat(anchors).as("docs/metrics.md needs a '### " + name + "' section").contains(name.toLowerCase());
        }
    }

    @Test
    void noCounterFunctionIsAppliedToAGauge() {
        MetricCatalogue catalogue = MetricCatalogue.load();
        for (JsonNode rule : alerts()) {
            assertThat(PromQl.counterFunctionsOnGauges(rule.path("expr").asText(), catalogue::isCounterLike))
                    .as(rule.path("alert").asText() + ": rate()/irate()/increase() of a gauge").isEmpty();
        }
    }

    @Test
    void everyMetricTheRulesUseIsInTheCatalogue() {
        MetricCatalogue catalogue = MetricCatalogue.load();
        for (JsonNode rule : alerts()) {
            for (String name : PromQl.metricNames(rule.path("expr").asText())) {
                assertThat(catalogue.contains(name)).as(rule.path("alert").asText() + " uses " + name
                        + ", which docs/metrics.md does not list").isTrue();
            }
        }
    }

    @Test
    void growthAlertsAreGatedAgainstRestarts() {
        List<JsonNode> growth = alertsOf(GROWTH_GROUP);
        assertThat(growth).hasSizeGreaterThanOrEqualTo(5);
        for (JsonNode rule : growth) {
            String expr = rule.path("expr").asText();
            assertThat(expr).as(rule.path("alert").asText() + " must be gated on the process' uptime")
                    .contains("time() - process_start_time_seconds");
        }
    }

    /** Each alert fires in some test, and some test shows it silent. */
    @Test
    void everyAlertIsExercisedByThePromtoolTests() throws IOException {
        List<JsonNode> tests = new ArrayList<>();
        for (Path f : testFiles()) {
            readYaml(f).path("tests").forEach(tests::add);
        }
        for (JsonNode rule : alerts()) {
            String name = rule.path("alert").asText();
            boolean fires = false;
            boolean silent = false;
            for (JsonNode t : tests) {
                for (JsonNode a : t.path("alert_rule_test")) {
                    if (a.path("alertname").asText().equals(name)) {
                        if (a.path("exp_alerts").size() > 0) {
                            fires = true;
                        } else {
                            silent = true;
                        }
                    }
                }
                for (JsonNode p : t.path("promql_expr_test")) {
                    Matcher m = ALERTS_REGEX.matcher(p.path("expr").asText());
                    if (m.find() && name.matches(m.group(1))) {
                        if (p.path("exp_samples").size() > 0) {
                            fires = true;
                        } else {
                            silent = true;
                        }
                    }
                }
            }
            assertThat(fires).as(name + " fires in an alert_rule_test or ALERTS check").isTrue();
            assertThat(silent).as(name + " is shown silent in some test").isTrue();
        }
    }

    /** Each growth alert has a test where a restart sawtooth never even makes it pending. */
    @Test
    void everyGrowthAlertStaysSilentOnARestartSawtooth() throws IOException {
        List<JsonNode> exprTests = new ArrayList<>();
        for (Path f : testFiles()) {
            readYaml(f).path("tests").forEach(t -> t.path("promql_expr_test").forEach(exprTests::add));
        }
        List<JsonNode> growthRules = new ArrayList<>(alertsOf(GROWTH_GROUP));
        alertsOf(BASELINE_GROUP).stream().filter(r -> r.path("alert").asText().endsWith("AboveBaseline")).forEach(growthRules::add);
        assertThat(growthRules).hasSizeGreaterThanOrEqualTo(8);
        for (JsonNode rule : growthRules) {
            String name = rule.path("alert").asText();
            boolean covered = exprTests.stream().anyMatch(p -> {
                Matcher m = ALERTS_REGEX.matcher(p.path("expr").asText());
                return p.path("expr").asText().startsWith("count_over_time(") && m.find() && name.matches(m.group(1))
                        && m.group(2).contains("sawtooth") && p.path("exp_samples").isEmpty();
            });
            assertThat(covered).as(name + ": a count_over_time(ALERTS{...sawtooth...}) check expecting nothing").isTrue();
        }
    }

    @Test
    void prometheusRuleManifestIsTheRulesFileAsSpec() throws IOException {
        String source = ProjectFiles.read(ProjectFiles.RULES);
        String manifest = PrometheusRuleManifest.render(source, "natsoak", Map.of("release", "kube-prometheus-stack"));
        JsonNode parsed = YAML.readTree(manifest);
        assertThat(parsed.path("kind").asText()).isEqualTo("PrometheusRule");
        assertThat(parsed.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(parsed.path("spec")).isEqualTo(rules);
    }

    /**
     * The chart (helm/) and plain manifests (k8s/) must carry the rules file itself: a copy named
     * natsoak-rules.yml is byte-identical, a plain PrometheusRule has the same spec, and a Helm
     * template producing a PrometheusRule reads the file (.Files.Get) instead of inlining rules.
     */
    @Test
    void copiesInTheChartAndManifestsAreTheSameFile() throws IOException {
        String source = ProjectFiles.read(ProjectFiles.RULES);
        for (String dir : List.of("helm", "k8s")) {
            Path root = ProjectFiles.path(dir);
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).filter(p -> p.toString().matches(".*\\.(ya?ml|tpl)$")).toList();
            }
            for (Path f : files) {
                String text = Files.readString(f, StandardCharsets.UTF_8);
                if (f.getFileName().toString().equals("natsoak-rules.yml")) {
                    assertThat(text).as(f + " must be identical to " + ProjectFiles.RULES).isEqualTo(source);
                } else if (text.contains("kind: PrometheusRule")) {
                    if (text.contains("{{")) {
                        assertThat(text).as(f + ": a PrometheusRule template must embed natsoak-rules.yml (.Files.Get)")
                                .contains("natsoak-rules.yml");
                    } else {
                        for (JsonNode doc : YAML.readValues(YAML.createParser(text), JsonNode.class).readAll()) {
                            if ("PrometheusRule".equals(doc.path("kind").asText())) {
                                assertThat(doc.path("spec")).as(f + ": spec must equal " + ProjectFiles.RULES).isEqualTo(rules);
                            }
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------

    private List<JsonNode> alerts() {
        List<JsonNode> out = new ArrayList<>();
        rules.path("groups").forEach(g -> g.path("rules").forEach(out::add));
        assertThat(out).as("rules in " + ProjectFiles.RULES).isNotEmpty();
        for (JsonNode r : out) {
            assertThat(r.has("alert")).as("only alerting rules in " + ProjectFiles.RULES + ": " + r).isTrue();
        }
        return out;
    }

    private List<JsonNode> alertsOf(String group) {
        List<JsonNode> out = new ArrayList<>();
        rules.path("groups").forEach(g -> {
            if (g.path("name").asText().equals(group)) {
                g.path("rules").forEach(out::add);
            }
        });
        return out;
    }

    static List<Path> testFiles() throws IOException {
        try (Stream<Path> s = Files.list(ProjectFiles.path(ProjectFiles.RULE_TESTS))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".test.yml")).sorted().collect(Collectors.toList());
        }
    }

    static JsonNode readYaml(Path file) {
        try {
            JsonNode node = YAML.readTree(file.toFile());
            if (node instanceof ObjectNode) {
                return node;
            }
            throw new IllegalStateException(file + " is not a YAML mapping");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
    static Set<String> markdownAnchors(String markdown) {
        return markdown.lines().filter(l -> l.startsWith("#"))
                .map(l -> l.replaceFirst("^#+\\s*", "").trim().toLowerCase()
                        .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'))
                .collect(Collectors.toSet());
    }
}

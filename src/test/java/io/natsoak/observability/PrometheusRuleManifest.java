package io.natsoak.observability;

import java.util.Map;
import java.util.TreeMap;

/**
 * Derives a Prometheus Operator PrometheusRule from the rules file, unchanged: the rules file
 * becomes the manifest's {@code spec} by indentation, exactly what docs/metrics.md's shell
 * one-liner and the Helm chart's template do. The chart (helm/) must embed the same file rather
 * than a copy that could drift.
 */
final class PrometheusRuleManifest {

    private PrometheusRuleManifest() {
    }

    static String render(String rulesYaml, String name, Map<String, String> labels) {
        StringBuilder out = new StringBuilder();
        out.append("apiVersion: monitoring.coreos.com/v1\n");
        out.append("kind: PrometheusRule\n");
        out.append("metadata:\n");
        out.append("  name: ").append(name).append('\n');
        if (!labels.isEmpty()) {
            out.append("  labels:\n");
            new TreeMap<>(labels).forEach((k, v) -> out.append("    ").append(k).append(": ").append(v).append('\n'));
        }
        out.append("spec:\n");
        for (String line : rulesYaml.split("\n", -1)) {
            out.append(line.isEmpty() ? "" : "  " + line).append('\n');
        }
        return out.toString();
    }
}

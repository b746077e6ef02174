package io.natsoak.observability;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric catalogue of docs/metrics.md, read from its tables: one row per metric,
 * {@code | `name` | type | labels | meaning |}. The document is the single list; the tests use it
 * to know which names exist and which are gauges.
 */
final class MetricCatalogue {

    enum Type {
        COUNTER, GAUGE, HISTOGRAM, SUMMARY,
        /** Exposed with TYPE gauge by a third-party exporter, but only grows and restarts from 0. */
        CUMULATIVE
    }

    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([A-Za-z_:][A-Za-z0-9_:]*)`\\s*\\|\\s*([a-z]+)\\s*\\|");
    private static final List<String> HISTOGRAM_COUNTERS = List.of("_bucket", "_count", "_sum");
    private static final List<String> SUMMARY_COUNTERS = List.of("_count", "_sum");

    private final Map<String, Type> types;

    private MetricCatalogue(Map<String, Type> types) {
        this.types = Collections.unmodifiableMap(types);
    }

    static MetricCatalogue load() {
        return parse(ProjectFiles.read(ProjectFiles.METRICS_DOC));
    }

    static MetricCatalogue parse(String markdown) {
        Map<String, Type> types = new LinkedHashMap<>();
        boolean inCatalogue = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("## ")) {
                inCatalogue = line.trim().equals("## Metric catalogue");
                continue;
            }
            if (!inCatalogue) {
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                Type type;
                try {
                    type = Type.valueOf(m.group(2).toUpperCase());
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("docs/metrics.md: unknown metric type '" + m.group(2) + "' in: " + line);
                }
                if (types.put(m.group(1), type) != null) {
                    throw new IllegalStateException("docs/metrics.md lists " + m.group(1) + " twice");
                }
            }
        }
        if (types.isEmpty()) {
            throw new IllegalStateException("docs/metrics.md has no '## Metric catalogue' tables");
        }
        return new MetricCatalogue(types);
    }

    Map<String, Type> entries() {
        return types;
    }

    Set<String> names() {
        return types.keySet();
    }

    /** The catalogue entry a series name belongs to (histogram and summary series map to their base). */
    String entryOf(String series) {
        if (types.containsKey(series)) {
            return series;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
            if (series.endsWith(suffix)) {
                String base = series.substring(0, series.length() - suffix.length());
                Type t = types.get(base);
                if (t == Type.HISTOGRAM || (t == Type.SUMMARY && !suffix.equals("_bucket"))) {
                    return base;
                }
            }
        }
        return null;
    }

    boolean contains(String series) {
        return entryOf(series) != null;
    }

    /**
     * Whether counter functions apply to this series. Unknown names count as counters only with
     * a counter's suffix, so an uncatalogued gauge is still caught.
     */
    boolean isCounterLike(String series) {
        String entry = entryOf(series);
        if (entry == null) {
            return series.endsWith("_total") || series.endsWith("_bucket") || series.endsWith("_count") || series.endsWith("_sum");
        }
        Type type = types.get(entry);
        String suffix = series.substring(entry.length());
        return switch (type) {
            case COUNTER, CUMULATIVE -> true;
            case GAUGE -> false;
            case HISTOGRAM -> HISTOGRAM_COUNTERS.contains(suffix);
            case SUMMARY -> SUMMARY_COUNTERS.contains(suffix);
        };
    }
}

package io.natsoak.observability;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough PromQL lexing to find the metric names an expression selects and the counter
 * functions it applies to them. Not a parser: promtool parses (the tests run {@code promtool check
 * rules} on every expression); this finds names, which promtool does not report.
 */
final class PromQl {

    /** Functions that assume a counter: applied to a gauge they are wrong. */
    static final Set<String> COUNTER_FUNCTIONS = Set.of("rate", "irate", "increase");

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "by", "without", "on", "ignoring",
            "group_left", "group_right", "offset", "inf", "nan", "atan2", "start", "end");
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)");
    private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?[0-9a-zA-Z.]+|@\\s*[0-9.]+|@\\s*(start|end)\\(\\)");
    private static final Pattern NUMBER = Pattern.compile("(?<![A-Za-z_:0-9])(0x[0-9a-fA-F]+|[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?)([smhdwy]|ms)?");
    private static final Pattern CALL = Pattern.compile("\\b(rate|irate|increase)\\s*\\(");

    private PromQl() {
    }

    /**
     * Replaces Grafana's variables with values Prometheus accepts: the exporter prefixes with their
     * defaults, interval variables with 5m, anything else (label values) with {@code .*}.
     */
    static String substituteGrafanaVariables(String expr) {
        return expr
                .replaceAll("\\$\\{varz_prefix}|\\$varz_prefix\\b", "gnatsd")
                .replaceAll("\\$\\{jsz_prefix}|\\$jsz_prefix\\b", "jetstream")
                .replaceAll("\\$\\{?__(rate_interval|interval|range)(_ms|_s)?}?", "5m")
                .replaceAll("\\$\\{[A-Za-z0-9_:]+}|\\$[A-Za-z_][A-Za-z0-9_]*", ".*");
    }

    /** Blanks string literals and comments, keeping the structure. */
    static String stripStringsAndComments(String expr) {
        StringBuilder out = new StringBuilder(expr.length());
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                int j = i + 1;
                while (j < expr.length() && expr.charAt(j) != c) {
                    if (expr.charAt(j) == '\\' && c != '`') {
                        j++;
                    }
                    j++;
                }
                out.append(c).append(c);
                i = j + 1;
            } else if (c == '#') {
                while (i < expr.length() && expr.charAt(i) != '\n') {
                    i++;
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Metric names an expression selects (Grafana variables substituted first). */
    static Set<String> metricNames(String expr) {
        String s = stripStringsAndComments(substituteGrafanaVariables(expr));
        s = s.replaceAll("\\{[^{}]*}", " ");          // label matchers
        s = s.replaceAll("\\[[^\\[\\]]*]", " ");        // ranges, subqueries
        s = OFFSET.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        s = NUMBER.matcher(s).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENT.matcher(s);
        while (m.find()) {
            String name = m.group();
            int next = m.end();
            while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
                next++;
            }
            boolean call = next < s.length() && s.charAt(next) == '(';
            if (!call && !KEYWORDS.contains(name.toLowerCase())) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * Every rate()/irate()/increase() whose argument selects a metric that is not counter-like,
     * as {@code "rate(name)"}. An empty list means the expression is clean.
     */
    static List<String> counterFunctionsOnGauges(String expr, Predicate<String> counterLike) {
        String s = stripStringsAndComments(substituteGrafanaVariables(expr));
        List<String> violations = new ArrayList<>();
        Matcher m = CALL.matcher(s);
        while (m.find()) {
            int open = m.end() - 1;
            int depth = 0;
            int close = open;
            for (int i = open; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    close = i;
                    break;
                }
            }
            String argument = s.substring(open + 1, close);
            for (String name : metricNames(argument)) {
                if (!counterLike.test(name)) {
                    violations.add(m.group(1) + "(" + name + ")");
                }
            }
        }
        return violations;
    }
}

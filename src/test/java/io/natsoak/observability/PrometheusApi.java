package io.natsoak.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.natsoak.local.HttpGet;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP API of a real Prometheus, for tests: every call fails the test on an error status. */
public record PrometheusApi(String base) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public HttpGet.Answer get(String path) throws Exception {
        return HttpGet.get(base + path, Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    /** One field of a successful API response. */
    public JsonNode get(String path, String field) throws Exception {
        HttpGet.Answer r = get(path);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("status").asText()).as(path + " -> " + r.body()).isEqualTo("success");
        return body.path(field);
    }

    public boolean ready() throws Exception {
        return get("/-/ready").code() == 200;
    }

    /** An instant query's result vector (a scalar or string as a one-element array); fails on any error. */
    public JsonNode query(String promql) throws Exception {
        JsonNode data = get("/api/v1/query?query=" + encode(promql), "data");
        JsonNode result = data.path("result");
        String type = data.path("resultType").asText();
        return type.equals("scalar") || type.equals("string") ? JSON.createArrayNode().add(result) : result;
    }

    /** A range query's result matrix, seconds since the epoch; fails on any error. */
    public JsonNode queryRange(String promql, double start, double end, Duration step) throws Exception {
        return get("/api/v1/query_range?query=" + encode(promql) + "&start=" + start + "&end=" + end + "&step="
                + step.toMillis() / 1000.0, "data").path("result");
    }

    /** The loaded rule of that name as /api/v1/rules shows it (health, state, lastError, alerts ...). */
    public JsonNode rule(String name) throws Exception {
        for (JsonNode g : get("/api/v1/rules", "data").path("groups")) {
            for (JsonNode r : g.path("rules")) {
                if (r.path("name").asText().equals(name)) {
                    return r;
                }
            }
        }
        throw new AssertionError("no rule " + name + " loaded in " + base);
    }

    /** The server's clock, seconds since the epoch (what time() returns in a query). */
    public double time() throws Exception {
        return query("time()").path(0).path(1).asDouble();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

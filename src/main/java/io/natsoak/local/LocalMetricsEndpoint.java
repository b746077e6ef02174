package io.natsoak.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves the metrics of what runs inside the {@code ./natsoak local} launcher itself (the chaos
 * operator) at {@code http://127.0.0.1:<port>/q/metrics}, tagged like a role process
 * ({@code role}, {@code instance_name}), so a local Prometheus scrapes it like any role and the
 * chaos panels and the chaos alert have data locally, as they do in Kubernetes where the
 * operator is a pod of its own. One {@code local-metrics} thread; stop closes the server.
 */
public final class LocalMetricsEndpoint extends GuardedComponent {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private HttpServer server;
    private ExecutorService executor;
    private NamedThreads threads;

    /** @param role, instance the tags every meter of this registry carries */
    public LocalMetricsEndpoint(String role, String instance) {
        super("local");
        registry.config().commonTags(MetricNames.TAG_ROLE, role, MetricNames.TAG_INSTANCE, instance);
        new UptimeMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
    }

    /** The registry the launcher's components register their meters in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The port it serves on (0 before start). */
    public int port() {
        HttpServer s = server;
        return s == null ? 0 : s.getAddress().getPort();
    }

    @Override
    protected void doStart() throws IOException {
        threads = new NamedThreads(name(), "metrics");
        executor = Executors.newSingleThreadExecutor(threads);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/q/metrics", this::scrape);
        server.setExecutor(executor);
        server.start();
    }

    private void scrape(HttpExchange exchange) throws IOException {
        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    protected void doStop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
        OwnedExecutor.close(executor, threads);
        executor = null;
    }
}

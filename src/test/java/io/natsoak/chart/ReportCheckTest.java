package io.natsoak.chart;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.natsoak.app.ReportRoute;
import io.natsoak.model.Json;
import io.natsoak.model.Report;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart's hooks: the `helm test` pod reads the verifier's report and fails on FAIL (its script
 * is run here for real, with sh and wget, against an HTTP server serving natsoak's own report JSON),
 * and the pre-install Secret holds random NATS passwords.
 */
class ReportCheckTest {

    private static final Report.Duplicates NO_DUPLICATES = new Report.Duplicates(0, 0);
    private static final Report.Latency LATENCY = new Report.Latency(3.0, 12.0, 40.0);

    private HttpServer server;
    private final AtomicReference<byte[]> body = new AtomicReference<>();
    private final AtomicReference<Integer> status = new AtomicReference<>(200);

    @BeforeEach
    void serveReports() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(ReportRoute.PATH, exchange -> {
            byte[] b = body.get();
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(status.get(), b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static Report report(String verdict, boolean last, List<String> reasons) {
        return new Report(verdict, reasons, last, "soak", 120, 1000, 997, 997, reasons.isEmpty() ? 0 : 3, NO_DUPLICATES, 10, 0, 8.3,
                LATENCY, 0, 2, reasons.isEmpty() ? List.of() : List.of(new Report.GapRange(4, 17, 19)), Map.of());
    }

    private static List<HasMetadata> renderWithHooks(Path copy, String values) {
        return HelmChart.natsoak().withHooksAsManifests(copy).render().values(values).objects();
    }

    @Test
    void testPodIsAHelmTestHookReadingTheVerifierService(@TempDir Path copy) {
        List<HasMetadata> objects = renderWithHooks(copy, "{}");
        Pod pod = Pods.named(objects, Pod.class, "natsoak-report-check");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(HelmChart.RENDERED_HOOK, "test");
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
        ChartRenderTest.assertRestricted("Pod/natsoak-report-check", pod.getSpec());
        Container c = pod.getSpec().getContainers().get(0);
        Service verifier = Pods.named(objects, Service.class, "natsoak-verifier");
        int port = verifier.getSpec().getPorts().get(0).getPort();
        assertThat(ChartRenderTest.env(c, "REPORT_URL"))
                .isEqualTo("http://natsoak-verifier." + HelmChart.NAMESPACE + ".svc:" + port + ReportRoute.PATH);
        assertThat(ChartRenderTest.env(c, "REQUIRE_FINAL")).isEqualTo("false");
        assertThat(c.getCommand()).startsWith("/bin/sh", "-c");
        assertThat(ChartFiles.read(HelmChart.natsoak().dir().resolve("templates/tests/report-check.yaml"))).contains("helm.sh/hook: test");
    }

    @Test
    void checkFailsOnFailAndPassesOnPass(@TempDir Path copy) throws Exception {
        String script = script(copy, "{}");
        body.set(Json.write(report(Report.PASS, true, List.of())));
        assertThat(run(script, false)).extracting(Run::code).isEqualTo(0);
        assertThat(run(script, false).output()).contains("final verdict PASS");

        body.set(Json.write(report(Report.FAIL, true, List.of("3 messages lost in partition 4"))));
        Run failed = run(script, false);
        assertThat(failed.code()).isEqualTo(1);
        assertThat(failed.output()).contains("3 messages lost in partition 4").contains("verdict FAIL (final: true)");

        // while the run goes on: a FAIL so far fails, a PASS so far passes unless the final verdict is required
        body.set(Json.write(report(Report.FAIL, false, List.of("3 messages lost in partition 4"))));
        assertThat(run(script, false).code()).isEqualTo(1);
        body.set(Json.write(report(Report.PASS, false, List.of())));
        assertThat(run(script, false).code()).isEqualTo(0);
        assertThat(run(script, true).code()).isEqualTo(1);
        assertThat(run(script, true).output()).contains("not over yet");
    }

    @Test
    void checkFailsWhenThereIsNoReport(@TempDir Path copy) throws Exception {
        String script = script(copy, "{}");
        status.set(404);
        body.set("{\"error\":\"no report: this process is not a running verifier\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(run(script, false).code()).isEqualTo(1);
        status.set(200);
        body.set("{}".getBytes(StandardCharsets.UTF_8));
        assertThat(run(script, false).output()).contains("no verdict in the report");
        server.stop(0);
        assertThat(run(script, false).output()).contains("cannot read");
    }

    @Test
    void requireFinalValueReachesThePod(@TempDir Path copy) {
        Pod pod = Pods.named(renderWithHooks(copy, "tests: {requireFinal: true}"), Pod.class, "natsoak-report-check");
        assertThat(ChartRenderTest.env(pod.getSpec().getContainers().get(0), "REQUIRE_FINAL")).isEqualTo("true");
    }

    @Test
    void natsPasswordsAreRandomAndCreatedOnceBeforeInstall(@TempDir Path copy) {
        Secret first = Pods.named(renderWithHooks(copy.resolve("a"), "{}"), Secret.class, "natsoak-nats-credentials");
        Secret second = Pods.named(renderWithHooks(copy.resolve("b"), "{}"), Secret.class, "natsoak-nats-credentials");
        assertThat(first.getMetadata().getAnnotations()).containsEntry(HelmChart.RENDERED_HOOK, "pre-install");
        assertThat(first.getData()).containsOnlyKeys("app-password", "chaos-password");
        for (String key : List.of("app-password", "chaos-password")) {
            String password = new String(Base64.getDecoder().decode(first.getData().get(key)), StandardCharsets.UTF_8);
            assertThat(password).as(key).hasSize(32).matches("[A-Za-z0-9]+");
            assertThat(second.getData().get(key)).as(key + " of another install").isNotEqualTo(first.getData().get(key));
        }
        assertThat(first.getData().get("app-password")).isNotEqualTo(first.getData().get("chaos-password"));
        assertThat(renderWithHooks(copy.resolve("c"), "nats: {auth: {existingSecret: mine}}")).noneMatch(o -> o instanceof Secret);
    }

    private String script(Path copy, String values) {
        Container c = Pods.named(renderWithHooks(copy, values), Pod.class, "natsoak-report-check").getSpec().getContainers().get(0);
        assertThat(c.getCommand()).hasSize(3);
        return c.getCommand().get(2);
    }

    record Run(int code, String output) {
    }

    private Run run(String script, boolean requireFinal) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", script));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // a proxy from the environment must not stand between wget and the loopback server
        List.of("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY").forEach(pb.environment()::remove);
        pb.environment().put("REPORT_URL", "http://127.0.0.1:" + server.getAddress().getPort() + ReportRoute.PATH);
        pb.environment().put("REQUIRE_FINAL", String.valueOf(requireFinal));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }
}

package io.natsoak.app;

import io.natsoak.model.Json;
import io.natsoak.model.Report;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/** {@code GET /q/natsoak/report}: the verifier's live (or final) report as JSON. */
@ApplicationScoped
public class ReportRoute {

    public static final String PATH = "/q/natsoak/report";

    @Inject
    RoleStarter roles;

    void register(@Observes Router router) {
        router.get(PATH).handler(ctx -> {
            Report report = roles.verifier().map(v -> v.report()).orElse(null);
            if (report == null) {
                ctx.response().setStatusCode(404).putHeader("content-type", "application/json")
                        .end("{\"error\":\"no report: this process is not a running verifier\"}");
                return;
            }
            ctx.response().putHeader("content-type", "application/json").end(io.vertx.core.buffer.Buffer.buffer(Json.write(report)));
        });
    }
}

package io.natsoak.app;

import io.natsoak.lifecycle.Component;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the role's component runs. */
@Readiness
@ApplicationScoped
public class RoleHealth implements HealthCheck {

    @Inject
    RoleStarter roles;

    @Override
    public HealthCheckResponse call() {
        Component.State state = roles.component().map(Component::state).orElse(Component.State.RUNNING);
        return HealthCheckResponse.named("natsoak-role").status(state == Component.State.RUNNING).withData("state", state.name()).build();
    }
}

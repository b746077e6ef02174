package io.natsoak.chaos.kubernetes;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import org.jboss.logging.Logger;

/**
 * Sits in the fabric8 HTTP client and refuses, before it is sent, any request that
 * chaos-permissions.yaml does not grant: the operator can never do more than the chart's Role
 * says, and a call added to the code without its permission fails in the tests (against the
 * mock server, which grants everything) instead of only in a real cluster.
 */
public final class PermissionGuard implements Interceptor {

    private static final Logger LOG = Logger.getLogger(PermissionGuard.class);
    public static final String NAME = "natsoak-chaos-permissions";

    private final Permissions permissions;

    public PermissionGuard(Permissions permissions) {
        this.permissions = permissions;
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        String refusal = permissions.refusal(request.method(), request.uri());
        if (refusal != null) {
            LOG.errorf("chaos: refused a Kubernetes API call: %s", refusal);
            throw new Denied(refusal);
        }
    }

    /** A request outside the permitted list. */
    public static final class Denied extends RuntimeException {
        public Denied(String message) {
            super(message, null, false, false);
        }
    }
}

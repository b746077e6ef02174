package io.natsoak.local.chaos;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.natsoak.chaos.ChaosOperator;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.control.ControlServer;
import io.natsoak.control.LeakCanary;
import io.natsoak.local.LocalTopology;
import org.jboss.logging.Logger;

import java.io.PrintStream;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The chaos operator inside {@code ./natsoak local}: the same {@link ChaosOperator} as the chaos
 * pod, with the {@link LocalBackend}, and its own control server (instance {@code chaos}) for
 * pause and resume. Inert when {@code natsoak.chaos.enabled=false}.
 */
public final class LocalChaos implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LocalChaos.class);
    public static final String INSTANCE = "chaos";

    private final LocalBackend backend;
    private final ChaosOperator operator;
    private final ControlServer control;

    private LocalChaos(LocalBackend backend, ChaosOperator operator, ControlServer control) {
        this.backend = backend;
        this.operator = operator;
        this.control = control;
    }

    /** Starts the operator on a started topology (empty when chaos is disabled). */
    public static LocalChaos start(LocalTopology topology, PrintStream out) throws Exception {
        return start(topology, out, new SimpleMeterRegistry());
    }

    /** @param registry where the operator's meters go (the launcher serves it to a local Prometheus) */
    public static LocalChaos start(LocalTopology topology, PrintStream out, MeterRegistry registry) throws Exception {
        Map<String, String> settings = new HashMap<>(topology.roleSettings());
        settings.put("natsoak.role", "chaos");
        settings.put("natsoak.instance", INSTANCE);
        NatsoakConfig config = ConfigLoader.fromMap(settings);
        if (!config.chaos().enabled()) {
            return new LocalChaos(null, null, null);
        }
        LocalBackend backend = new LocalBackend(topology, config.chaos().natsRestartDelay());
        ChaosOperator operator = new ChaosOperator(config, INSTANCE, backend, registry, Clock.systemUTC());
        ControlServer control = null;
        try {
            operator.start();
            if (config.control().enabled()) {
                control = new ControlServer(config, "chaos", INSTANCE, Map.of(operator.name(), operator), new LeakCanary(false), registry);
                control.start();
            }
        } catch (Exception e) {
            new LocalChaos(backend, operator, control).close();
            throw e;
        }
        out.printf("chaos: on, seed %d, a fault every %s to %s (pause: request {\"command\":\"stop\"} with header Natsoak-Sender: chaos/<you> on %s)%n", operator.schedule().seed(),
                io.natsoak.config.ConfigValidator.human(config.chaos().intervalMin()),
                io.natsoak.config.ConfigValidator.human(config.chaos().intervalMax()),
                control == null ? "(control disabled)" : control.instanceSubject());
        return new LocalChaos(backend, operator, control);
    }

    public boolean enabled() {
        return operator != null;
    }

    /** Stops injecting (reverting what can be), then brings back anything still down. */
    @Override
    public void close() {
        if (control != null) {
            control.stop();
        }
        if (operator != null) {
            operator.stop();
        }
        if (backend != null) {
            backend.close();
        }
        LOG.debugf("local chaos closed");
    }
}

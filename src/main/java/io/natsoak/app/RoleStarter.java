package io.natsoak.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.natsoak.chaos.ChaosOperator;
import io.natsoak.chaos.kubernetes.KubernetesBackend;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.control.ControlServer;
import io.natsoak.control.LeakCanary;
import io.natsoak.lifecycle.Component;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.metrics.ProcessMetrics;
import io.natsoak.model.Report;
import io.natsoak.producer.ProducerService;
import io.natsoak.resources.ResourceSampler;
import io.natsoak.resources.RestartLedger;
import io.natsoak.verifier.VerifierService;
import io.natsoak.worker.WorkerService;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Starts the one component of this process's role when Quarkus is up, and stops it on shutdown. */
@ApplicationScoped
public class RoleStarter {

    private static final Logger LOG = Logger.getLogger(RoleStarter.class);
    /** Exit code when the role cannot start (NATS unreachable, bad data): Kubernetes restarts the pod. */
    public static final int START_FAILED = 3;

    @Inject
    MeterRegistry registry;

    private volatile Component component;
    private volatile VerifierService verifier;
    private volatile ControlServer control;
    private volatile LeakCanary canary;
    private volatile ResourceSampler resources;
    private volatile ChaosOperator chaos;

    void onStart(@Observes StartupEvent event) {
        NatsoakConfig config = ConfigLoader.load(Map.of());
        Identity id = Identity.of(config);
        new ProcessMetrics().bindTo(registry);
        Clock clock = Clock.systemUTC();
        config.local().parentPid().flatMap(ProcessHandle::of).ifPresent(parent -> parent.onExit().thenRun(() -> {
            LOG.warn("the launcher is gone; exiting");
            Quarkus.asyncExit(START_FAILED);
        }));
        Component c = switch (id.role()) {
            case PRODUCER -> new ProducerService(config, id.index(), registry, clock);
            case WORKER -> new WorkerService(config, id.index(), registry, clock);
            case VERIFIER -> verifier = new VerifierService(config, registry, clock, report -> onVerdict(config, report));
            case CHAOS -> chaos = new ChaosOperator(config, id.instance(), KubernetesBackend.inCluster(config.chaos().kubernetes()),
                    registry, clock);
            case LOCAL -> throw new IllegalStateException("the local launcher does not run inside Quarkus");
        };
        component = c;
        canary = new LeakCanary(config.control().leakCanary(), config.control().leakThreadsPerRestart());
        RestartLedger restarts = new RestartLedger(config.resources().restartWindow(), registry);
        try {
            c.start();
            if (config.control().enabled() && c instanceof GuardedComponent guarded) {
                control = new ControlServer(config, id.role().name().toLowerCase(Locale.ROOT), id.instance(), Map.of(c.name(), guarded),
                        canary, registry, restarts);
                control.start();
            }
            resources = new ResourceSampler(config, id.role().name(), id.instance(), registry, clock, this::ready, restarts);
            resources.start();
        } catch (Exception e) {
            LOG.errorf("%s %s cannot start: %s", id.role(), id.instance(), e);
            Quarkus.asyncExit(START_FAILED);
        }
    }

    /**
     * Every component of this process runs and the role's has done its first unit of work since
     * it started (the resource sampler runs by the time it asks). A role component that is not a
     * {@link GuardedComponent} has no such signal: running is enough.
     */
    private boolean ready() {
        Component c = component;
        ControlServer cs = control;
        boolean roleReady = c instanceof GuardedComponent g ? g.working() : c != null && c.state() == Component.State.RUNNING;
        return roleReady && (cs == null || cs.state() == Component.State.RUNNING);
    }

    private void onVerdict(NatsoakConfig config, Report report) {
        if (config.verifier().exitOnVerdict()) {
            Quarkus.asyncExit(report.passed() ? 0 : 1);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        ControlServer cs = control;
        if (cs != null) {
            cs.stop();
        }
        ResourceSampler rs = resources;
        if (rs != null) {
            rs.stop();
        }
        LeakCanary lc = canary;
        if (lc != null) {
            lc.end();
        }
        VerifierService v = verifier;
        if (v != null) {
            v.concludeNow();
        }
        Component c = component;
        if (c != null) {
            c.stop();
        }
        ChaosOperator co = chaos;
        if (co != null) {
            co.backend().close();
        }
    }

    public Optional<Component> component() {
        return Optional.ofNullable(component);
    }

    public Optional<VerifierService> verifier() {
        return Optional.ofNullable(verifier);
    }
}

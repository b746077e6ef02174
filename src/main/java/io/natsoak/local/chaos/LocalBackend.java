package io.natsoak.local.chaos;

import io.natsoak.chaos.ChaosBackend;
import io.natsoak.chaos.Target;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.local.HttpGet;
import io.natsoak.local.LocalTopology;
import io.natsoak.local.NatsCluster;
import io.natsoak.local.RoleProcess;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The chaos operator's local backend for {@code ./natsoak local}: the same events on OS
 * processes. A crash is SIGKILL and a graceful stop SIGTERM; the launcher's supervision starts
 * the process again after a short delay, the way a Deployment would. Scaling adds or removes
 * worker processes. A NATS node kill SIGKILLs one nats-server, which this backend starts again
 * after {@code natsRestartDelay} with the same store (a StatefulSet's job in Kubernetes).
 * A process is ready when its {@code /q/health/ready} answers 200.
 */
public final class LocalBackend implements ChaosBackend {

    private static final Logger LOG = Logger.getLogger(LocalBackend.class);
    private static final String NATS_PREFIX = "nats-";

    private final LocalTopology topology;
    private final Duration natsRestartDelay;
    private final Set<Integer> restarting = ConcurrentHashMap.newKeySet();
    private final OwnedExecutor.Scheduler respawn = OwnedExecutor.scheduler("chaos", "respawn");

    public LocalBackend(LocalTopology topology, Duration natsRestartDelay) {
        this.topology = topology;
        this.natsRestartDelay = natsRestartDelay;
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public List<Target> targets(Target.Kind kind) {
        List<Target> out = new ArrayList<>();
        switch (kind) {
            case PRODUCER -> topology.producers().forEach(p -> out.add(target(p, kind)));
            case WORKER -> topology.workers().forEach(p -> out.add(target(p, kind)));
            case VERIFIER -> {
                if (topology.verifier() != null) {
                    out.add(target(topology.verifier(), kind));
                }
            }
            case NATS -> {
                NatsCluster cluster = topology.cluster();
                for (int i = 0; i < cluster.size(); i++) {
                    boolean up = cluster.isRunning(i) && !restarting.contains(i);
                    out.add(new Target(NATS_PREFIX + i, kind, up, started(cluster.pid(i)).orElse(null)));
                }
            }
        }
        return out;
    }

    private static Target target(RoleProcess p, Target.Kind kind) {
        boolean alive = p.isAlive();
        return new Target(p.name(), kind, alive && ready(p), alive ? started(p.pid()).orElse(null) : null);
    }

    private static Optional<Instant> started(long pid) {
        return pid < 0 ? Optional.empty() : ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
    }

    /** The role process' readiness check: its component runs. */
    static boolean ready(RoleProcess p) {
        return HttpGet.status("http://127.0.0.1:" + p.httpPort() + "/q/health/ready", Duration.ofSeconds(1), Duration.ofSeconds(2)) == 200;
    }

    private RoleProcess process(Target target) {
        return topology.processes().stream().filter(p -> p.name().equals(target.name())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no process " + target.name()));
    }

    @Override
    public void crash(Target target) {
        process(target).kill();
    }

    @Override
    public void stopGracefully(Target target) {
        process(target).terminate(LocalTopology.STOP_GRACE_SECONDS);
    }

    @Override
    public int workerReplicas() {
        return topology.workers().size();
    }

    @Override
    public void scaleWorkers(int replicas) throws IOException {
        while (topology.workers().size() < replicas) {
            RoleProcess p = topology.addWorker();
            LOG.infof("chaos: started %s (scale up)", p.name());
        }
        while (topology.workers().size() > replicas) {
            List<RoleProcess> workers = topology.workers();
            // Like a ReplicaSet, remove the youngest first.
            RoleProcess youngest = workers.get(workers.size() - 1);
            topology.removeWorker(youngest);
            LOG.infof("chaos: stopped %s (scale down)", youngest.name());
        }
    }

    /** The launcher can stop any worker process, so the operator names the one that leaves. */
    @Override
    public boolean choosesWhoLeaves() {
        return true;
    }

    @Override
    public void removeWorker(Target leaver) {
        RoleProcess worker = topology.workers().stream().filter(p -> p.name().equals(leaver.name())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no worker process " + leaver.name()));
        topology.removeWorker(worker);
        LOG.infof("chaos: stopped %s (scale down)", worker.name());
    }

    @Override
    public void killNatsNode(Target target) {
        int node = Integer.parseInt(target.name().substring(NATS_PREFIX.length()));
        restarting.add(node);
        try {
            topology.cluster().kill(node);
        } catch (RuntimeException e) {
            restarting.remove(node);
            throw e;
        }
        respawn.executor().schedule(() -> restartNats(node), natsRestartDelay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void restartNats(int node) {
        if (!restarting.contains(node)) {
            return;
        }
        try {
            topology.cluster().restart(node);
            LOG.infof("chaos: NATS node %d is back", node);
        } catch (RuntimeException e) {
            LOG.errorf("chaos: could not restart NATS node %d: %s", node, e.getMessage());
        } finally {
            restarting.remove(node);
        }
    }

    /** Starts at once any NATS node still waiting for its restart, so the run ends with a whole cluster. */
    @Override
    public void close() {
        respawn.close();
        for (Integer node : List.copyOf(restarting)) {
            restartNats(node);
        }
    }
}

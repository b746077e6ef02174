package io.natsoak.chaos;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static io.natsoak.chaos.FaultContext.WORKERS;

/**
 * One worker more or fewer, within natsoak.chaos.workers-min and -max (managed assignment only:
 * {@code p mod count} cannot follow a new count). Scaling down removes a worker, so the
 * one-fault-per-target rule holds for it too. In flight until every worker asked for is ready.
 */
record WorkerScaling(ChaosEvent event, int delta) implements Fault {

    @Override
    public FaultInjector.Result inject(FaultContext context) throws Exception {
        if (!context.managedWorkers()) {
            return FaultInjector.Result.skipped("static worker assignment: p mod count cannot follow a new worker count");
        }
        Safety safety = context.safety();
        if (safety.inFlight(WORKERS)) {
            return skipped("the last scaling has not settled (not every worker is ready yet)");
        }
        ChaosBackend backend = context.backend();
        int replicas = backend.workerReplicas();
        int wanted = replicas + delta;
        if (wanted > context.settings().workersMax()) {
            return skipped(replicas + " workers already, the maximum (natsoak.chaos.workers-max)");
        }
        if (wanted < context.settings().workersMin()) {
            return skipped(replicas + " workers already, the minimum (natsoak.chaos.workers-min)");
        }
        Target leaver = null;
        if (delta < 0) {
            List<Target> workers = backend.targets(Target.Kind.WORKER);
            long ready = workers.stream().filter(Target::ready).count();
            if (ready - 1 < safety.minReady()) {
                return skipped("would leave fewer than " + safety.minReady() + " ready workers");
            }
            if (backend.choosesWhoLeaves()) {
                StringBuilder why = new StringBuilder();
                Optional<Target> youngest = safety.eligible(workers, why).stream()
                        .max(Comparator.comparing(Target::startedAt, Comparator.nullsLast(Comparator.naturalOrder())));
                if (youngest.isEmpty()) {
                    return skipped("no worker may leave: " + why);
                }
                leaver = youngest.get();
            } else {
                Optional<Target> busy = workers.stream().filter(t -> safety.inFlight(t.name())).findFirst();
                if (busy.isPresent()) {
                    return skipped("the Deployment chooses which worker leaves, and " + busy.get().name() + " has a fault in flight");
                }
            }
        }
        String detail = replicas + " -> " + wanted + " workers" + (leaver == null ? "" : " (" + leaver.name() + " leaves)");
        if (context.dryRun()) {
            return new FaultInjector.Result(Outcome.DRY_RUN, WORKERS, "would scale " + detail);
        }
        if (leaver != null) {
            backend.removeWorker(leaver);
        } else {
            backend.scaleWorkers(wanted);
        }
        safety.add(WORKERS, event, now -> {
            List<Target> workers = context.current(Target.Kind.WORKER);
            return workers.size() == wanted && workers.stream().allMatch(Target::ready);
        });
        return new FaultInjector.Result(Outcome.INJECTED, WORKERS, "scaled " + detail);
    }

    private static FaultInjector.Result skipped(String why) {
        return new FaultInjector.Result(Outcome.SKIPPED, WORKERS, why);
    }
}

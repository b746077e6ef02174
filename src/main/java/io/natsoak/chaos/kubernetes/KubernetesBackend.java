package io.natsoak.chaos.kubernetes;

import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.natsoak.chaos.ChaosBackend;
import io.natsoak.chaos.Target;
import io.natsoak.config.ChaosKubernetesConfig;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.model.ChaosLogEntry;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The chaos operator's Kubernetes side, through fabric8: pods chosen by namespace, label
 * selector and component label; pod delete (grace 0 for a crash, the pod's own grace for a
 * graceful stop) or, in evict mode, the Eviction API so PodDisruptionBudgets are honoured;
 * scaling of the worker Deployment; an Event on every victim. Every request passes the
 * {@link PermissionGuard}, so only what chaos-permissions.yaml lists can be called.
 */
public final class KubernetesBackend implements ChaosBackend {

    private static final Logger LOG = Logger.getLogger(KubernetesBackend.class);
    static final String EVENT_REASON = "NatsoakChaos";
    static final String EVENT_SOURCE = "natsoak-chaos";

    private final ChaosKubernetesConfig settings;
    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, String> selector;
    private final Map<String, String> selectorNot;
    private final Map<String, String> natsSelector;
    private final Map<String, String> natsSelectorNot;
    private final ExecutorService ownedExecutor;

    /** @param client a client whose HTTP requests pass a {@link PermissionGuard} (see {@link #client}) */
    public KubernetesBackend(ChaosKubernetesConfig settings, KubernetesClient client, ExecutorService ownedExecutor) {
        this.settings = settings;
        this.client = client;
        this.ownedExecutor = ownedExecutor;
        this.namespace = settings.namespace().orElseGet(() -> Objects.requireNonNullElse(client.getNamespace(), "default"));
        this.selector = labels(settings.selector(), false);
        this.selectorNot = labels(settings.selector(), true);
        this.natsSelector = labels(settings.natsSelector(), false);
        this.natsSelectorNot = labels(settings.natsSelector(), true);
    }

    /** The production backend: the in-cluster (or kube config) client, guarded by the packaged permission list. */
    public static KubernetesBackend inCluster(ChaosKubernetesConfig settings) {
        NamedThreads threads = new NamedThreads("chaos", "kube");
        ExecutorService executor = Executors.newCachedThreadPool(threads);
        return new KubernetesBackend(settings, client(Config.autoConfigure(null), Permissions.packaged(), executor), executor);
    }

    /** A fabric8 client on {@code config} whose every request must be granted by {@code permissions}. */
    public static KubernetesClient client(Config config, Permissions permissions, ExecutorService executor) {
        // No retries: a refused eviction (429) or a failing API server is recorded and the schedule
        // goes on; retrying a fault for many seconds would only shift it in time.
        Config once = new ConfigBuilder(config).withRequestRetryBackoffLimit(0).build();
        KubernetesClientBuilder builder = new KubernetesClientBuilder().withConfig(once)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor(PermissionGuard.NAME, new PermissionGuard(permissions)));
        if (executor != null) {
            builder.withTaskExecutor(executor);
        }
        return builder.build();
    }

    public String namespace() {
        return namespace;
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public List<Target> targets(Target.Kind kind) throws Exception {
        List<Pod> pods = call(() -> select(kind).list().getItems());
        List<Target> out = new ArrayList<>();
        for (Pod p : pods) {
            out.add(new Target(p.getMetadata().getName(), kind, ready(p), startedAt(p)));
        }
        return out;
    }

    private FilterWatchListDeletable<Pod, PodList, PodResource> select(Target.Kind kind) {
        Map<String, String> labels = new LinkedHashMap<>(kind == Target.Kind.NATS ? natsSelector : selector);
        if (kind != Target.Kind.NATS) {
            labels.put(settings.componentLabel(), kind.label());
        }
        return client.pods().inNamespace(namespace).withLabels(labels).withoutLabels(kind == Target.Kind.NATS ? natsSelectorNot : selectorNot);
    }

    static boolean ready(Pod p) {
        if (p.getMetadata().getDeletionTimestamp() != null || p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        for (PodCondition c : p.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }

    static Instant startedAt(Pod p) {
        String t = p.getStatus() != null && p.getStatus().getStartTime() != null ? p.getStatus().getStartTime()
                : p.getMetadata().getCreationTimestamp();
        try {
            return t == null ? null : Instant.parse(t);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    @Override
    public void crash(Target target) throws Exception {
        remove(target, 0L);
    }

    @Override
    public void stopGracefully(Target target) throws Exception {
        remove(target, null);
    }

    @Override
    public void killNatsNode(Target target) throws Exception {
        remove(target, 0L);
    }

    /** Deletes (or evicts) the pod; {@code grace} null = the pod's own termination grace period. */
    private void remove(Target target, Long grace) throws Exception {
        Pod pod = call(() -> client.pods().inNamespace(namespace).withName(target.name()).get());
        if (pod == null) {
            throw new IllegalStateException("pod " + namespace + "/" + target.name() + " is gone");
        }
        if (settings.evict()) {
            evict(pod, grace);
            return;
        }
        PodResource resource = client.pods().inNamespace(namespace).withName(target.name());
        call(() -> grace == null ? resource.delete() : resource.withGracePeriod(grace).delete());
    }

    /**
     * Eviction honours PodDisruptionBudgets: the API server answers 429 when a budget allows no
     * disruption. The budgets are also read first, so a refusal names the budget (and so the rule
     * holds against an API server that does not enforce them, like the test's mock server).
     */
    private void evict(Pod pod, Long grace) throws Exception {
        List<PodDisruptionBudget> budgets = call(() -> client.policy().v1().podDisruptionBudget().inNamespace(namespace).list().getItems());
        Map<String, String> podLabels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        for (PodDisruptionBudget pdb : budgets) {
            Map<String, String> match = pdb.getSpec() == null || pdb.getSpec().getSelector() == null ? null
                    : pdb.getSpec().getSelector().getMatchLabels();
            if (match == null || !podLabels.entrySet().containsAll(match.entrySet())) {
                continue;
            }
            Integer allowed = pdb.getStatus() == null ? null : pdb.getStatus().getDisruptionsAllowed();
            if (allowed == null || allowed < 1) {
                throw new Refused("PodDisruptionBudget " + pdb.getMetadata().getName() + " allows no disruption of " + pod.getMetadata().getName());
            }
        }
        EvictionBuilder eviction = new EvictionBuilder().withNewMetadata().withName(pod.getMetadata().getName()).withNamespace(namespace)
                .endMetadata();
        if (grace != null) {
            eviction.withDeleteOptions(new DeleteOptionsBuilder().withGracePeriodSeconds(grace).build());
        }
        Eviction e = eviction.build();
        boolean evicted = call(() -> client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).evict(e));
        if (!evicted) {
            throw new Refused("the API server refused to evict " + pod.getMetadata().getName() + " (a PodDisruptionBudget allows no disruption)");
        }
    }

    @Override
    public int workerReplicas() throws Exception {
        Deployment d = call(() -> client.apps().deployments().inNamespace(namespace).withName(settings.workerDeployment()).get());
        if (d == null) {
            throw new IllegalStateException("Deployment " + namespace + "/" + settings.workerDeployment() + " not found");
        }
        Integer replicas = d.getSpec() == null ? null : d.getSpec().getReplicas();
        return replicas == null ? 1 : replicas;
    }

    @Override
    public void scaleWorkers(int replicas) throws Exception {
        call(() -> client.apps().deployments().inNamespace(namespace).withName(settings.workerDeployment()).scale(replicas));
    }

    /** A Warning Event on the victim (a pod, or the worker Deployment for scale events); best effort. */
    @Override
    public void recordOnVictim(Target target, ChaosLogEntry entry) {
        boolean deployment = "workers".equals(target.name());
        String name = deployment ? settings.workerDeployment() : target.name();
        String now = Instant.ofEpochMilli(entry.at()).toString();
        try {
            call(() -> client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(name + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16))
                    .withNamespace(namespace)
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(deployment ? "apps/v1" : "v1")
                            .withKind(deployment ? "Deployment" : "Pod")
                            .withName(name)
                            .withNamespace(namespace)
                            .build())
                    .withType("Warning")
                    .withReason(EVENT_REASON)
                    .withAction(entry.event())
                    .withMessage("natsoak chaos step " + entry.step() + ": " + entry.event() + " " + entry.outcome() + ": " + entry.detail()
                            + " (seed " + entry.seed() + ")")
                    .withNewSource().withComponent(EVENT_SOURCE).endSource()
                    .withReportingComponent(EVENT_SOURCE)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .build()).create());
        } catch (Exception e) {
            LOG.warnf("chaos: could not record an Event on %s: %s", name, e.getMessage());
        }
    }

    @Override
    public void close() {
        client.close();
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
    }

    /** Parses {@code k=v,k2!=v2}: the equality pairs ({@code negated=false}) or the inequality pairs. */
    static Map<String, String> labels(String selector, boolean negated) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : selector.split(",")) {
            String p = pair.strip();
            if (p.isEmpty()) {
                continue;
            }
            boolean not = p.contains("!=");
            String[] kv = p.split(not ? "!=" : "==?", 2);
            if (kv.length == 2 && not == negated) {
                out.put(kv[0].strip(), kv[1].strip());
            }
        }
        return out;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run();
    }

    /** Runs an API call; a request the permission list does not grant becomes {@link Refused}. */
    private static <T> T call(Call<T> c) throws Refused {
        try {
            return c.run();
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof PermissionGuard.Denied d) {
                    throw new Refused(d.getMessage());
                }
                if (t.getCause() == t) {
                    break;
                }
            }
            if (e instanceof KubernetesClientException k && k.getCode() == 403) {
                throw new Refused("forbidden by the cluster's RBAC: " + k.getMessage().lines().findFirst().orElse(""));
            }
            throw e;
        }
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}

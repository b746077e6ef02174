package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.util.Optional;

/** The chaos operator's Kubernetes backend: which pods it may touch and how. */
public interface ChaosKubernetesConfig {
    /** The namespace of the victims; unset: the operator's own (from the service account, or the kube config). */
    Optional<String> namespace();

    /** An equality-based label selector every victim must match (e.g. app.kubernetes.io/instance=soak), besides its component label. */
    @WithDefault("app.kubernetes.io/part-of=natsoak")
    String selector();

    /** The label whose value names a pod's role (producer, worker, verifier). */
    @WithDefault("app.kubernetes.io/component")
    String componentLabel();

    /** Equality-based label selector of the NATS server pods (nats_node_kill). */
    @WithDefault("app.kubernetes.io/name=nats")
    String natsSelector();

    /** The worker Deployment that scale_up and scale_down resize. */
    @WithDefault("natsoak-worker")
    String workerDeployment();

    /** Remove pods through the Eviction API, so PodDisruptionBudgets are honoured; a refused eviction is recorded as refused. */
    @WithDefault("false")
    boolean evict();
}

package io.natsoak.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every natsoak setting, under the prefix {@code natsoak}. Set them as system properties
 * ({@code -Dnatsoak.partitions.count=50}), environment variables ({@code NATSOAK_PARTITIONS_COUNT=50})
 * or through a preset ({@code natsoak.preset=quick}). Values are checked by {@link ConfigLoader}
 * before anything starts: a bad value stops the process with one line.
 */
@ConfigMapping(prefix = "natsoak")
public interface NatsoakConfig {

    /** Which role this process plays. */
    @WithDefault("local")
    Role role();

    /** A named preset of defaults (quick, chaos-test, dev, realistic, stress, extreme); explicit settings win. */
    Optional<String> preset();

    /**
     * Names this run's streams, buckets and subjects, so several runs (and tests) can share one
     * NATS cluster without touching each other's data. Letters, digits, '-' and '_'.
     */
    @WithDefault("soak")
    String runId();

    /** How long producers publish; 0 means until stopped. */
    @WithDefault("2m")
    Duration duration();

    /** The name of this process (pod name in Kubernetes); used in connection names and receipts. */
    Optional<String> instance();

    Partitions partitions();

    Producer producer();

    Worker worker();

    Verifier verifier();

    Nats nats();

    Local local();

    Control control();

    Resources resources();

    Chaos chaos();

    /**
     * The chaos operator (role chaos in Kubernetes; inside the launcher in local mode): what
     * faults it injects, how often, and the safety rails. docs/chaos.md describes every event.
     */
    interface Chaos {
        /** Inject faults; false means none at all (the operator still runs and reports that it is idle). */
        @WithDefault("false")
        boolean enabled();

        /** The schedule's seed: the same seed gives the same sequence of events and delays. Unset: a random one, logged and reported. */
        Optional<Long> seed();

        /** Least time between two faults. */
        @WithDefault("30s")
        Duration intervalMin();

        /** Most time between two faults (each interval is uniform in [min, max]). */
        @WithDefault("2m")
        Duration intervalMax();

        /** Decide and record every fault, but change nothing (Kubernetes: no pod is deleted, nothing is scaled). */
        @WithDefault("false")
        boolean dryRun();

        /** Never leave fewer than this many ready pods of the victim's role (siblings of the victim). */
        @WithDefault("1")
        int minReady();

        /** Leave pods (processes) younger than this alone: they may still be starting. */
        @WithDefault("30s")
        Duration minAge();

        /** scale_down never goes below this many workers. */
        @WithDefault("2")
        int workersMin();

        /** scale_up never goes above this many workers. */
        @WithDefault("5")
        int workersMax();

        /** network_disconnect cuts a process off NATS for a random time in [min, max]. */
        @WithDefault("5s")
        Duration disconnectMin();

        @WithDefault("30s")
        Duration disconnectMax();

        /** Local backend: how long a killed nats-server stays down before it is started again (the StatefulSet's job in Kubernetes). */
        @WithDefault("5s")
        Duration natsRestartDelay();

        /** The leak_canary event (off unless set): the victim leaks threads for leak-duration, then releases them. Needs natsoak.control.leak-canary on the victims. */
        @WithDefault("false")
        boolean leakCanary();

        @WithDefault("20s")
        Duration leakDuration();

        @WithDefault("60")
        int leakThreadsPerMinute();

        ChaosWeights weights();

        ChaosKubernetes kubernetes();
    }

    /**
     * Relative weights of the chaos events (0 = never). Within each round of the schedule every
     * event occurs exactly as often as its weight says, in a seeded random order.
     */
    interface ChaosWeights {
        @WithDefault("3")
        int workerCrash();

        @WithDefault("2")
        int workerGracefulStop();

        @WithDefault("2")
        int workerRestart();

        @WithDefault("1")
        int scaleUp();

        @WithDefault("1")
        int scaleDown();

        @WithDefault("2")
        int leaderFailure();

        @WithDefault("1")
        int producerCrash();

        @WithDefault("2")
        int networkDisconnect();

        @WithDefault("1")
        int natsNodeKill();

        @WithDefault("1")
        int verifierRestart();

        /** Only used when natsoak.chaos.leak-canary=true. */
        @WithDefault("1")
        int leakCanary();
    }

    /** The chaos operator's Kubernetes backend: which pods it may touch and how. */
    interface ChaosKubernetes {
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

    /** Every role process samples its own threads, heap after GC and RSS; the verifier judges their growth. */
    interface Resources {
        /** How often each process samples and publishes its resources. */
        @WithDefault("5s")
        Duration sampleInterval();

        /**
         * After a process is ready (every component running and its first unit of work done): the
         * window whose median is its baseline (a restarted process begins a new one). Samples
         * taken while the process was still starting are never a baseline.
         */
        @WithDefault("30s")
        Duration warmUp();

        /**
         * After an in-place restart or reconnect of a component: how long it has to settle before
         * the threads it left behind are counted (the lowest of three censuses a second apart).
         */
        @WithDefault("5s")
        Duration restartSettle();

        /**
         * How many of a component's most recent in-place restarts are judged: the verdict fails
         * when more than half of them (and at least that many restarts) left threads behind.
         */
        @WithDefault("5")
        int restartWindow();

        /**
         * A full collection is requested when the old generation has not been collected for this
         * long (0 = never), so that heap after GC is known and judged within the hour in every
         * process, not only in those that happen to fill their old generation.
         */
        @WithDefault("2m")
        Duration heapProbeInterval();

        /**
         * The verdict fails when a process' live threads grow by more than this percentage over its
         * baseline, per 6 hours of the process' life (never less than this) and by at least the floor.
         */
        @WithDefault("5")
        double maxThreadGrowthPercent();

        /** The same for heap after GC (old generation used after the last collection). */
        @WithDefault("10")
        double maxHeapGrowthPercent();

        /** The same for the resident set size. */
        @WithDefault("20")
        double maxRssGrowthPercent();

        /** Thread growth of fewer than this many threads never fails the verdict (noise floor). */
        @WithDefault("3")
        int minThreadGrowth();

        /** Heap-after-GC growth below this many MiB never fails the verdict (noise floor). */
        @WithDefault("16")
        int minHeapGrowthMib();

        /** RSS growth below this many MiB never fails the verdict (noise floor). */
        @WithDefault("64")
        int minRssGrowthMib();
    }

    interface Control {
        /** Answer commands on the control subjects (status, restart, stop, start, disconnect, threaddump, gc, leak). */
        @WithDefault("true")
        boolean enabled();

        /** Allow the leak canary: deliberately leaking threads and memory to prove the alerts fire. Off unless set. */
        @WithDefault("false")
        boolean leakCanary();

        /**
         * With the leak canary allowed: threads to leak at every in-place restart or reconnect of a
         * component, named as that component's own (the incident's shape). 0 = never.
         */
        @WithDefault("0")
        int leakThreadsPerRestart();

        /** Largest control message accepted; larger ones get an error reply. */
        @WithDefault("65536")
        int maxMessageBytes();

        /**
         * Sender roles whose requests are carried out: the role part of a request's
         * {@code Natsoak-Sender: <role>/<instance>} header. Other requests get an error reply. This
         * identifies senders; NATS permissions are what stop others publishing (docs/reliability.md).
         */
        @WithDefault("chaos")
        List<String> allowedSenders();
    }

    interface Partitions {
        /** Number of partitions (subjects) in the data stream. */
        @WithDefault("10")
        int count();

        /** Average messages per second per partition; the total rate is count x rate. */
        @WithDefault("10")
        double rate();

        @WithDefault("uniform")
        Distribution distribution();

        /** With exponential distribution: the percentage of partitions that are hot. */
        @WithDefault("5")
        double extremePercent();

        /** With exponential distribution: the weight of a hot partition. */
        @WithDefault("20")
        double extremeWeight();

        /** With exponential distribution: the weight of every other partition. */
        @WithDefault("1")
        double normalWeight();
    }

    interface Producer {
        /** Number of producer processes; partitions are split between them by index. */
        @WithDefault("2")
        int count();

        /** This producer's index in 0..count-1 (-1: take the trailing number of the instance name). */
        @WithDefault("-1")
        int index();

        /** Size in bytes of each data message (the envelope is padded up to it). */
        @WithDefault("200")
        int messageSize();

        /** How often the producer publishes its acknowledged high-water marks. */
        @WithDefault("1s")
        Duration markInterval();

        /**
         * Publishes in flight at once per partition, sent in sequence order (1..64). 1 waits for
         * each PubAck before sending the partition's next sequence; more hides the round trip.
         */
        @WithDefault("16")
        int publishWindow();
    }

    interface Worker {
        /** Number of worker processes. */
        @WithDefault("3")
        int count();

        /** This worker's index in 0..count-1 (-1: take the trailing number of the instance name). */
        @WithDefault("-1")
        int index();

        /**
         * How partitions are shared: static (p mod count by index, no coordination) or through the
         * partition manager (round-robin, consistent-hash, weighted-consistent-hash).
         */
        @WithDefault("weighted-consistent-hash")
        AssignmentStrategy assignment();

        /** Partition manager: a member whose heartbeat is older than this is gone (its partitions move). */
        @WithDefault("5s")
        Duration heartbeatTtl();

        /** Partition manager: how often a member renews its heartbeat. */
        @WithDefault("1s")
        Duration heartbeatInterval();

        /** Partition manager: extra wait after a heartbeat expired before an emergency rebalance. */
        @WithDefault("1s")
        Duration emergencyGrace();

        /** Partition manager: joins and graceful leaves within this window are rebalanced together. */
        @WithDefault("1s")
        Duration rebalanceWindow();

        /** Partition manager: least time between two planned rebalances. */
        @WithDefault("3s")
        Duration minRebalanceInterval();

        /** Partition manager: wait this long after the first member appears before the first assignment. */
        @WithDefault("5s")
        Duration coldStart();

        /** Consistent hashing: virtual nodes per worker. */
        @WithDefault("200")
        int virtualNodes();

        /** Weighted consistent hashing: no worker above this multiple of the average load, where feasible. */
        @WithDefault("1.3")
        double maxLoadFactor();

        /** Simulated processing time of one message: a uniform random value in [min, max]. */
        @WithDefault("1ms")
        Duration processingDelayMin();

        @WithDefault("5ms")
        Duration processingDelayMax();

        /** Most receipts in one receipts-stream message. */
        @WithDefault("500")
        int receiptBatchSize();

        /** Longest a processed message waits for its receipt batch to fill. */
        @WithDefault("50ms")
        Duration receiptLinger();

        /** How often each partition's consumed position is committed to NATS KV. */
        @WithDefault("1s")
        Duration commitInterval();

        /** Messages a worker holds between delivery and receipt before it stops pulling (back-pressure). */
        @WithDefault("20000")
        int maxPending();
    }

    interface Verifier {
        /** A missing sequence becomes a gap once the producer acknowledged it this long ago. */
        @WithDefault("30s")
        Duration validationWindow();

        /**
         * After the end of the run, a verdict with sequences still missing waits until no receipt
         * has arrived for this long (workers may be fenced or failing over for a while).
         */
        @WithDefault("60s")
        Duration settleTimeout();

        /** How often a progress line is logged. */
        @WithDefault("5s")
        Duration reportInterval();

        /**
         * How often the verifier checkpoints its state in NATS. A restarted verifier resumes from its
         * last checkpoint and reads the receipts stream on from there (at most this much again).
         */
        @WithDefault("2s")
        Duration checkpointInterval();

        /** Where the final JSON report is written, if anywhere. */
        Optional<String> reportFile();

        /** Exit the process with the verdict's code (0 PASS, 1 FAIL) once the verdict is final. */
        @WithDefault("false")
        boolean exitOnVerdict();
    }

    interface Nats {
        /** Server URLs, comma separated. */
        @WithDefault("nats://127.0.0.1:4222")
        List<String> urls();

        /** User name for user/password authentication (one authentication method at most). */
        Optional<String> username();

        /** Password of {@code username}. */
        Optional<String> password();

        /** A token, for servers configured with {@code authorization { token }}. */
        Optional<String> token();

        /** A file holding an NKey user seed (SU...), for servers that list the user's public NKey. */
        Optional<String> nkeyFile();

        /** A NATS credentials file (user JWT + NKey seed), for servers in operator (JWT) mode. */
        Optional<String> credsFile();

        Tls tls();

        /** Replicas of every stream and bucket natsoak creates (1, 3 or 5 in a cluster). */
        @WithDefault("3")
        int replicas();

        @WithDefault("file")
        StorageType storage();

        /** Data older than this is removed by the server; unconsumed removed data is a loss the verifier reports. */
        @WithDefault("1h")
        Duration dataMaxAge();

        /** Size cap of the data stream in bytes (-1: none). */
        @WithDefault("-1")
        long dataMaxBytes();

        /** How long a request (PubAck, API call) may take before it is retried. */
        @WithDefault("5s")
        Duration requestTimeout();
    }

    interface Tls {
        /** Use TLS; with no trust store the JVM's default trust applies. The other TLS settings need it. */
        @WithDefault("false")
        boolean enabled();

        /** A trust store (PKCS12 or JKS) holding the CA that signed the servers' certificates. */
        Optional<String> truststore();

        /** Password of the trust store, if it has one. */
        Optional<String> truststorePassword();

        /** A key store (PKCS12 or JKS) with the client's key and certificate chain, for mutual TLS. */
        Optional<String> keystore();

        /** Password of the key store and of the key in it (required with a key store). */
        Optional<String> keystorePassword();
    }

    interface Local {
        /** Path or name of the nats-server binary. */
        @WithDefault("nats-server")
        String natsServer();

        /** NATS nodes the local cluster runs. */
        @WithDefault("3")
        int nodes();

        /** Keep the cluster's data directory after the run (for inspection). */
        @WithDefault("false")
        boolean keepData();

        /**
         * Also run a local Prometheus that scrapes every role process and loads natsoak's alert
         * rules ({@code ./natsoak local --prometheus}); stops with the run.
         */
        @WithDefault("false")
        boolean prometheus();

        /** Path or name of the prometheus binary (Debian package prometheus). */
        @WithDefault("prometheus")
        String prometheusBinary();

        /** How often the launcher prints its progress line. */
        @WithDefault("5s")
        Duration progressInterval();

        /**
         * Set by the launcher on the processes it starts: they exit when the launcher's process
         * is gone, so a killed launcher leaves no role process behind.
         */
        Optional<Long> parentPid();

        /**
         * Extra JVM options for every role process. The default commits and touches the whole heap
         * at start, so a process' RSS does not climb while the heap grows into its maximum (sizing,
         * not a leak): RSS growth is then native memory (threads, metaspace, buffers), and heap
         * growth is judged by heap after GC.
         */
        @WithName("jvm-options")
        @WithDefault("-Xms256m,-Xmx256m,-XX:+AlwaysPreTouch")
        List<String> jvmOptions();
    }
}

package io.natsoak.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Checks the ranges and relations the types alone cannot express; each problem is one line. */
public final class ConfigValidator {

    /** Lower bound of a data message: the envelope's fixed fields must fit. */
    public static final int MIN_MESSAGE_SIZE = 64;
    public static final int MAX_MESSAGE_SIZE = 1024 * 1024;
    public static final int MAX_PARTITIONS = 100_000;
    private static final Pattern SENDER_ROLE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,31}");

    private ConfigValidator() {
    }

    /** Longest duration any setting takes: beyond it, arithmetic in nanoseconds would overflow somewhere. */
    public static final Duration MAX_DURATION = Duration.ofDays(365);

    public static List<String> problems(NatsoakConfig c) {
        List<String> p = new ArrayList<>();
        SettingCatalog.values(c).forEach((key, value) -> {
            if (value instanceof Duration d && d.compareTo(MAX_DURATION) > 0) {
                p.add(key + ": " + human(d) + " is too long; allowed: at most 365 days (8760h)");
            }
        });
        if (!p.isEmpty()) {
            return p; // the relations below compute with these durations
        }
        if (!RUN_ID.matcher(c.runId()).matches()) {
            p.add("natsoak.run-id: \"" + c.runId() + "\" is not valid; allowed: 1-32 letters, digits, '-' or '_', starting with a letter or digit");
        }
        nonNegative(p, "natsoak.duration", c.duration());

        PartitionsConfig parts = c.partitions();
        range(p, "natsoak.partitions.count", parts.count(), 1, MAX_PARTITIONS);
        positive(p, "natsoak.partitions.rate", parts.rate());
        if (parts.extremePercent() < 0 || parts.extremePercent() > 100 || Double.isNaN(parts.extremePercent())) {
            p.add("natsoak.partitions.extreme-percent: " + parts.extremePercent() + " is not valid; allowed: 0 to 100");
        }
        positive(p, "natsoak.partitions.extreme-weight", parts.extremeWeight());
        positive(p, "natsoak.partitions.normal-weight", parts.normalWeight());

        ProducerConfig producer = c.producer();
        range(p, "natsoak.producer.count", producer.count(), 1, 1000);
        range(p, "natsoak.producer.index", producer.index(), -1, producer.count() - 1);
        range(p, "natsoak.producer.message-size", producer.messageSize(), MIN_MESSAGE_SIZE, MAX_MESSAGE_SIZE);
        strictlyPositive(p, "natsoak.producer.mark-interval", producer.markInterval());
        range(p, "natsoak.producer.publish-window", producer.publishWindow(), 1, 64);

        WorkerConfig worker = c.worker();
        range(p, "natsoak.worker.count", worker.count(), 1, 1000);
        range(p, "natsoak.worker.index", worker.index(), -1, worker.count() - 1);
        nonNegative(p, "natsoak.worker.processing-delay-min", worker.processingDelayMin());
        nonNegative(p, "natsoak.worker.processing-delay-max", worker.processingDelayMax());
        if (worker.processingDelayMin().compareTo(worker.processingDelayMax()) > 0) {
            p.add("natsoak.worker.processing-delay-min: " + human(worker.processingDelayMin()) + " is greater than natsoak.worker.processing-delay-max "
                    + human(worker.processingDelayMax()) + "; allowed: min <= max");
        }
        range(p, "natsoak.worker.receipt-batch-size", worker.receiptBatchSize(), 1, 10_000);
        strictlyPositive(p, "natsoak.worker.receipt-linger", worker.receiptLinger());
        strictlyPositive(p, "natsoak.worker.commit-interval", worker.commitInterval());
        range(p, "natsoak.worker.max-pending", worker.maxPending(), 1, 10_000_000);
        range(p, "natsoak.worker.virtual-nodes", worker.virtualNodes(), 1, 10_000);
        if (!(worker.maxLoadFactor() >= 1.0 && worker.maxLoadFactor() <= 10.0)) {
            p.add("natsoak.worker.max-load-factor: " + worker.maxLoadFactor() + " is not valid; allowed: 1.0 to 10.0");
        }
        if (worker.assignment().managed() && parts.count() >= 1) {
            try {
                WorkerAssignment.settings(c);
            } catch (IllegalArgumentException e) {
                p.add("natsoak.worker.heartbeat-ttl/heartbeat-interval: " + e.getMessage());
            }
        }

        strictlyPositive(p, "natsoak.verifier.validation-window", c.verifier().validationWindow());
        strictlyPositive(p, "natsoak.verifier.report-interval", c.verifier().reportInterval());
        strictlyPositive(p, "natsoak.verifier.settle-timeout", c.verifier().settleTimeout());
        strictlyPositive(p, "natsoak.verifier.checkpoint-interval", c.verifier().checkpointInterval());
        c.verifier().reportFile().filter(f -> java.nio.file.Files.isDirectory(java.nio.file.Path.of(f))).ifPresent(f -> p.add(
                "natsoak.verifier.report-file: " + f + " is a directory; allowed: the path of a file (written at the end, replacing a file)"));

        NatsConfig nats = c.nats();
        if (nats.urls().isEmpty()) {
            p.add("natsoak.nats.urls: empty; allowed: one or more nats://host:port URLs");
        }
        for (String url : nats.urls()) {
            if (!validUrl(url)) {
                p.add("natsoak.nats.urls: \"" + url + "\" is not valid; allowed: nats://host:port, tls://host:port, ws:// or wss:// URLs");
            }
        }
        // Credentials and TLS: combinations (Main reads the files they name before a role starts).
        p.addAll(NatsSecuritySettings.problems(nats));
        range(p, "natsoak.nats.replicas", nats.replicas(), 1, 5);
        strictlyPositive(p, "natsoak.nats.data-max-age", nats.dataMaxAge());
        if (nats.dataMaxBytes() != -1 && nats.dataMaxBytes() < 1024 * 1024) {
            p.add("natsoak.nats.data-max-bytes: " + nats.dataMaxBytes() + " is not valid; allowed: -1 (no cap) or at least 1048576");
        }
        strictlyPositive(p, "natsoak.nats.request-timeout", nats.requestTimeout());

        ResourcesConfig resources = c.resources();
        strictlyPositive(p, "natsoak.resources.sample-interval", resources.sampleInterval());
        nonNegative(p, "natsoak.resources.warm-up", resources.warmUp());
        positive(p, "natsoak.resources.max-thread-growth-percent", resources.maxThreadGrowthPercent());
        positive(p, "natsoak.resources.max-heap-growth-percent", resources.maxHeapGrowthPercent());
        positive(p, "natsoak.resources.max-rss-growth-percent", resources.maxRssGrowthPercent());
        nonNegative(p, "natsoak.resources.restart-settle", resources.restartSettle());
        strictlyPositive(p, "natsoak.resources.end-window", resources.endWindow());
        range(p, "natsoak.resources.restart-window", resources.restartWindow(), 1, 100);
        nonNegative(p, "natsoak.resources.heap-probe-interval", resources.heapProbeInterval());

        chaos(p, c.chaos());

        range(p, "natsoak.control.max-message-bytes", c.control().maxMessageBytes(), 256, 1024 * 1024);
        range(p, "natsoak.control.leak-threads-per-restart", c.control().leakThreadsPerRestart(), 0, 100);
        if (c.control().leakThreadsPerRestart() > 0 && !c.control().leakCanary()) {
            p.add("natsoak.control.leak-threads-per-restart: " + c.control().leakThreadsPerRestart()
                    + " needs the leak canary; allowed: 0, or set natsoak.control.leak-canary=true too");
        }
        for (String sender : c.control().allowedSenders()) {
            if (!SENDER_ROLE.matcher(sender.strip()).matches()) {
                p.add("natsoak.control.allowed-senders: \"" + sender + "\" is not valid; allowed: sender roles such as chaos"
                        + " (lower-case letters, digits and '-', starting with a letter, at most 32)");
            }
        }
        range(p, "natsoak.local.nodes", c.local().nodes(), 1, 5);
        strictlyPositive(p, "natsoak.local.progress-interval", c.local().progressInterval());
        if (c.local().nodes() < nats.replicas() && c.role() == Role.LOCAL) {
            p.add("natsoak.nats.replicas: " + nats.replicas() + " is more than natsoak.local.nodes " + c.local().nodes()
                    + "; allowed: replicas <= nodes");
        }
        return p;
    }

    /** An equality-based selector: key=value pairs, comma separated (the mock server and our checks ignore set-based ones). */
    private static final Pattern SELECTOR = Pattern.compile(
            "([A-Za-z0-9./_-]+)(==?|!=)([A-Za-z0-9._-]*)(,([A-Za-z0-9./_-]+)(==?|!=)([A-Za-z0-9._-]*))*");

    private static void chaos(List<String> p, ChaosConfig chaos) {
        strictlyPositive(p, "natsoak.chaos.interval-min", chaos.intervalMin());
        strictlyPositive(p, "natsoak.chaos.interval-max", chaos.intervalMax());
        ordered(p, "natsoak.chaos.interval", chaos.intervalMin(), chaos.intervalMax());
        range(p, "natsoak.chaos.min-ready", chaos.minReady(), 0, 1000);
        nonNegative(p, "natsoak.chaos.min-age", chaos.minAge());
        range(p, "natsoak.chaos.workers-min", chaos.workersMin(), 1, 1000);
        range(p, "natsoak.chaos.workers-max", chaos.workersMax(), 1, 1000);
        if (chaos.workersMin() > chaos.workersMax()) {
            p.add("natsoak.chaos.workers-min: " + chaos.workersMin() + " is greater than natsoak.chaos.workers-max " + chaos.workersMax()
                    + "; allowed: min <= max");
        }
        // The control plane's disconnect takes whole seconds, 1 to 300.
        if (chaos.disconnectMin().toMillis() < 1000 || chaos.disconnectMax().toSeconds() > 300) {
            p.add("natsoak.chaos.disconnect-min/disconnect-max: " + human(chaos.disconnectMin()) + " to " + human(chaos.disconnectMax())
                    + " is not valid; allowed: 1s to 300s");
        }
        ordered(p, "natsoak.chaos.disconnect", chaos.disconnectMin(), chaos.disconnectMax());
        strictlyPositive(p, "natsoak.chaos.nats-restart-delay", chaos.natsRestartDelay());
        strictlyPositive(p, "natsoak.chaos.leak-duration", chaos.leakDuration());
        range(p, "natsoak.chaos.leak-threads-per-minute", chaos.leakThreadsPerMinute(), 1, 10_000);
        ChaosWeightsConfig w = chaos.weights();
        int[] weights = {w.workerCrash(), w.workerGracefulStop(), w.workerRestart(), w.scaleUp(), w.scaleDown(), w.leaderFailure(),
                w.producerCrash(), w.networkDisconnect(), w.natsNodeKill(), w.verifierRestart(), w.verifierCrash(), w.leakCanary()};
        String[] keys = {"worker-crash", "worker-graceful-stop", "worker-restart", "scale-up", "scale-down", "leader-failure",
                "producer-crash", "network-disconnect", "nats-node-kill", "verifier-restart", "verifier-crash", "leak-canary"};
        int total = 0;
        for (int i = 0; i < weights.length; i++) {
            range(p, "natsoak.chaos.weights." + keys[i], weights[i], 0, 1000);
            if (i < weights.length - 1 || chaos.leakCanary()) {
                total += Math.max(0, weights[i]);
            }
        }
        if (chaos.enabled() && total == 0) {
            p.add("natsoak.chaos.weights: every weight is 0 while natsoak.chaos.enabled=true; allowed: at least one weight above 0");
        }
        ChaosKubernetesConfig k = chaos.kubernetes();
        if (!SELECTOR.matcher(k.selector()).matches()) {
            p.add("natsoak.chaos.kubernetes.selector: \"" + k.selector() + "\" is not valid; allowed: key=value pairs, comma separated");
        }
        if (!SELECTOR.matcher(k.natsSelector()).matches()) {
            p.add("natsoak.chaos.kubernetes.nats-selector: \"" + k.natsSelector() + "\" is not valid; allowed: key=value pairs, comma separated");
        }
        k.namespace().filter(ns -> !ns.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")).ifPresent(ns ->
                p.add("natsoak.chaos.kubernetes.namespace: \"" + ns + "\" is not valid; allowed: a Kubernetes namespace name"));
        if (!k.workerDeployment().matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
            p.add("natsoak.chaos.kubernetes.worker-deployment: \"" + k.workerDeployment() + "\" is not valid; allowed: a Kubernetes object name");
        }
    }

    private static void ordered(List<String> p, String key, Duration min, Duration max) {
        if (min.compareTo(max) > 0) {
            p.add(key + "-min: " + human(min) + " is greater than " + key + "-max " + human(max) + "; allowed: min <= max");
        }
    }

    private static boolean validUrl(String url) {
        try {
            URI uri = URI.create(url.strip());
            String scheme = uri.getScheme();
            return scheme != null && List.of("nats", "tls", "ws", "wss").contains(scheme) && uri.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void range(List<String> p, String key, long value, long min, long max) {
        if (value < min || value > max) {
            p.add(key + ": " + value + " is not valid; allowed: " + min + " to " + max);
        }
    }

    private static void positive(List<String> p, String key, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            p.add(key + ": " + value + " is not valid; allowed: a number greater than 0");
        }
    }

    private static void nonNegative(List<String> p, String key, Duration value) {
        if (value.isNegative()) {
            p.add(key + ": " + human(value) + " is not valid; allowed: 0 or a positive duration");
        }
    }

    private static void strictlyPositive(List<String> p, String key, Duration value) {
        if (value.isNegative() || value.isZero()) {
            p.add(key + ": " + human(value) + " is not valid; allowed: a positive duration such as 500ms or 5s");
        }
    }

    /** 1500ms, 30s, 2m: the way users write durations, not ISO-8601. */
    public static String human(Duration d) {
        if (Math.abs(d.getSeconds()) > MAX_DURATION.getSeconds()) {
            return d.toHours() + "h"; // toMillis() would overflow for the longest
        }
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms != 0) {
            return (ms / 60_000) + "m";
        }
        if (ms % 1000 == 0 && ms != 0) {
            return (ms / 1000) + "s";
        }
        return ms + "ms";
    }
}

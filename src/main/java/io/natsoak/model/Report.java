package io.natsoak.model;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verifier's report: live while the run goes on, final at its end. Users' CI parses it:
 * the field names below are a contract (add fields, never rename or remove).
 */
public record Report(
        String verdict,
        List<String> reasons,
        @JsonProperty("final") boolean last,
        String runId,
        double durationSeconds,
        long published,
        long received,
        long verified,
        long gaps,
        Duplicates duplicates,
        int partitions,
        long inFlight,
        double throughputPerSecond,
        Latency latencyMillis,
        long invalidReceipts,
        int producersFinished,
        List<GapRange> gapSamples,
        Map<String, RoleResources> resources,
        ChaosSummary chaos,
        Startup startup,
        Nats nats,
        GapAttribution gapAttribution) {

    /** A report without its NATS and with its gaps not attributed (yet): live reports, and the final one before the data stream was read. */
    public Report(String verdict, List<String> reasons, boolean last, String runId, double durationSeconds, long published, long received,
                  long verified, long gaps, Duplicates duplicates, int partitions, long inFlight, double throughputPerSecond,
                  Latency latencyMillis, long invalidReceipts, int producersFinished, List<GapRange> gapSamples,
                  Map<String, RoleResources> resources, ChaosSummary chaos, Startup startup) {
        this(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions, inFlight,
                throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, chaos, startup, null, null);
    }

    public Report(String verdict, List<String> reasons, boolean last, String runId, double durationSeconds, long published, long received,
                  long verified, long gaps, Duplicates duplicates, int partitions, long inFlight, double throughputPerSecond,
                  Latency latencyMillis, long invalidReceipts, int producersFinished, List<GapRange> gapSamples,
                  Map<String, RoleResources> resources, ChaosSummary chaos) {
        this(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions, inFlight,
                throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, chaos, null);
    }

    /** A report without chaos log (the chaos summary is added by {@link #withChaos}). */
    public Report(String verdict, List<String> reasons, boolean last, String runId, double durationSeconds, long published, long received,
                  long verified, long gaps, Duplicates duplicates, int partitions, long inFlight, double throughputPerSecond,
                  Latency latencyMillis, long invalidReceipts, int producersFinished, List<GapRange> gapSamples,
                  Map<String, RoleResources> resources) {
        this(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions, inFlight,
                throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, ChaosSummary.NONE);
    }

    /** This report with the faults of the chaos log: what was injected, when, on what (the verdict does not depend on it). */
    public Report withChaos(ChaosSummary summary) {
        return new Report(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions,
                inFlight, throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, summary, startup, nats,
                gapAttribution);
    }

    /** This report with the pipeline's start-up: {@code latencyMillis} covers only what was due once its partition was consumed. */
    public Report withStartup(Startup s) {
        return new Report(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions,
                inFlight, throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, chaos, s, nats,
                gapAttribution);
    }

    /** This report with the NATS it was judged on (the verdict does not depend on it). */
    public Report withNats(Nats n) {
        return new Report(verdict, reasons, last, runId, durationSeconds, published, received, verified, gaps, duplicates, partitions,
                inFlight, throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples, resources, chaos, startup, n,
                gapAttribution);
    }

    public static final String PASS = "PASS";
    public static final String FAIL = "FAIL";

    public boolean passed() {
        return PASS.equals(verdict);
    }

    /** This report with the resource-growth figures per role and their FAIL reasons (if any) added. */
    public Report withResources(Map<String, RoleResources> byRole, List<String> growthReasons) {
        List<String> all = new ArrayList<>(reasons);
        all.addAll(growthReasons);
        return new Report(all.isEmpty() ? PASS : FAIL, List.copyOf(all), last, runId, durationSeconds, published, received, verified, gaps,
                duplicates, partitions, inFlight, throughputPerSecond, latencyMillis, invalidReceipts, producersFinished, gapSamples,
                Collections.unmodifiableMap(new TreeMap<>(byRole)), chaos, startup, nats, gapAttribution);
    }

    /**
     * This report with its gaps attributed to a cause, found in the data stream itself, and
     * {@code reasons} in place of its own (the verifier words one reason per cause).
     */
    public Report withGapAttribution(GapAttribution attribution, List<String> attributedReasons) {
        return new Report(attributedReasons.isEmpty() ? PASS : FAIL, List.copyOf(attributedReasons), last, runId, durationSeconds, published,
                received, verified, gaps, duplicates, partitions, inFlight, throughputPerSecond, latencyMillis, invalidReceipts,
                producersFinished, gapSamples, resources, chaos, startup, nats, attribution);
    }

    /**
     * Growth of threads, heap after GC and RSS of a role: each one its worst instance's (null until
     * a figure exists); per component, the in-place restarts of its worst instance; and the
     * processes that never became ready (never judged: a process killed while it was still
     * starting, or one that cannot start).
     */
    public record RoleResources(Growth threads, Growth heapAfterGcBytes, Growth rssBytes, Map<String, RestartLeaks> restarts,
                                List<String> notReady) {
        public RoleResources {
            restarts = restarts == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(restarts));
            notReady = notReady == null ? List.of() : List.copyOf(notReady);
        }

        public RoleResources(Growth threads, Growth heapAfterGcBytes, Growth rssBytes) {
            this(threads, heapAfterGcBytes, rssBytes, Map.of(), List.of());
        }
    }

    /**
     * What the in-place restarts (and reconnects) of one component left behind, in its worst
     * instance: {@code restarts} measured in all, of the last {@code judgedRestarts} the
     * {@code leaky} ones left at least one thread, {@code threadsPerRestart} on average over
     * those; {@code crossed} when more than half of a full window leaked.
     */
    public record RestartLeaks(String instance, int restarts, int judgedRestarts, int leaky, double threadsPerRestart, boolean judged,
                               boolean crossed) {
    }

    /**
     * One resource of one process incarnation: {@code baseline} is the median of its warm-up window,
     * {@code end} the floor of its samples of the last two minutes, {@code slopePerHour} the least-squares slope over
     * all its samples; {@code growthPercent} is null when the baseline is 0 (nothing to compare).
     * {@code judged} is false while the warm-up is not over yet.
     */
    public record Growth(String instance, double baseline, double end, Double growthPercent, double slopePerHour, double limitPercent,
                         boolean judged, boolean crossed) {
    }

    /** Duplicates by cause: {@code redelivered} are explained by at-least-once delivery after a fault. */
    public record Duplicates(long redelivered, long unexplained) {
    }

    public record Latency(double p50, double p99, double max) {
    }

    /**
     * How the pipeline started, apart from its steady latency: seconds from the run's start to
     * the first receipt ({@code firstVerifiedSeconds}) and to the moment every partition had been
     * consumed ({@code readySeconds}; null until then), partitions consumed so far, and the
     * start-up backlog: first deliveries due before their partition was first consumed, with
     * their latency.
     */
    public record Startup(Double firstVerifiedSeconds, Double readySeconds, int partitionsStarted, long backlogMessages,
                          Latency backlogLatencyMillis) {
    }

    /**
     * The NATS the run was judged on, as the verifier saw it through its own connection (null until
     * it first looked). {@code servers}: every server that connection was on during the run, each
     * from that server's own INFO (a node the verifier never connected to is not listed: the
     * versions of the others are not reachable without a system account). {@code streams}: the data
     * and receipts streams' settings and placement from JetStream's stream info.
     */
    public record Nats(List<NatsServer> servers, List<NatsStream> streams) {
        public Nats {
            servers = servers == null ? List.of() : List.copyOf(servers);
            streams = streams == null ? List.of() : List.copyOf(streams);
        }
    }

    /** One NATS server as its INFO describes it: {@code name} (server_name), {@code version}, {@code cluster} (null without one). */
    public record NatsServer(String name, String version, String cluster) {
    }

    /**
     * One stream: {@code role} (data, receipts), its {@code name}, configured {@code replicas} and
     * {@code storage} (file, memory), and where it lives: the {@code cluster}, its {@code leader} and
     * every replica's server name in {@code nodes} (leader first; those JetStream calls offline
     * are in {@code offline} too).
     */
    public record NatsStream(String role, String name, int replicas, String storage, String cluster, String leader, List<String> nodes,
                             List<String> offline) {
        public NatsStream {
            nodes = nodes == null ? List.of() : List.copyOf(nodes);
            offline = offline == null ? List.of() : List.copyOf(offline);
        }
    }

    /**
     * Who lost the gaps, found at the end of the run by reading the data stream (null in live
     * reports and when nothing is missing). Every gap is counted in exactly one class, so the four
     * counts add up to {@code gaps}:
     * <ul>
     *   <li>{@code lostByServer}: a producer's PubAck said JetStream stored it, and the stream no longer holds it;</li>
     *   <li>{@code lostInPipeline}: the stream holds it, consumption went past it, and no receipt came (natsoak's fault);</li>
     *   <li>{@code unprocessed}: still in the stream after the partition's consumption position, never processed
     *       (a backlog, an overloaded or stopped worker): not a loss;</li>
     *   <li>{@code undetermined}: the stream could not be read to tell (its leader was unreachable, or the
     *       attribution's work bound was reached); {@code undeterminedBecause} says why.</li>
     * </ul>
     * Each class has up to 20 sample ranges.
     */
    public record GapAttribution(long lostByServer, long lostInPipeline, long unprocessed, long undetermined,
                                 List<GapRange> lostByServerSamples, List<GapRange> lostInPipelineSamples,
                                 List<GapRange> unprocessedSamples, List<GapRange> undeterminedSamples, String undeterminedBecause) {
        public GapAttribution {
            lostByServerSamples = List.copyOf(lostByServerSamples);
            lostInPipelineSamples = List.copyOf(lostInPipelineSamples);
            unprocessedSamples = List.copyOf(unprocessedSamples);
            undeterminedSamples = List.copyOf(undeterminedSamples);
        }

        public long total() {
            return lostByServer + lostInPipeline + unprocessed + undetermined;
        }
    }

    /** Lost sequences {@code from}..{@code to} (inclusive) of one partition. */
    public record GapRange(int partition, long from, long to) {
    }
}

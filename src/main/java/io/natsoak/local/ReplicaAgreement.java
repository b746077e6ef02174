package io.natsoak.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.natsoak.model.Json;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Do the nodes of the local NATS cluster hold the same streams? Each node reports its own copy of
 * every stream it holds ({@code /jsz?accounts=true&streams=true}); once the run is quiet, every
 * copy of a stream must have the same number of messages and the same first and last sequence.
 * <p>
 * Why a soak test checks its broker: nats-server before 2.10.19 lets the replicas of a stream
 * drift apart (a conditional write that one replica stores and another rejects, nats-server#5644),
 * and natsoak's own partition manager once lost and double-owned partitions because of it. Replicas
 * that disagree can lose or resurrect messages at the next failover, so the local run says so
 * next to its verdict.
 */
public final class ReplicaAgreement {

    /** One node's copy of a stream, as its {@code /jsz} state reports it. */
    public record Copy(long messages, long first, long last) {
        @Override
        public String toString() {
            return "messages " + messages + ", first " + first + ", last " + last;
        }
    }

    /** One stream whose copies differ: each node's copy. */
    public record Disagreement(String stream, Map<String, Copy> copies) {

        /**
         * True for the partition manager's members and leader buckets when every node holds the
         * same number of messages and only the numbering differs. nats-server 2.9 still drifts
         * there now and then after node kills, and the manager no longer gives a revision any
         * meaning across replicas (docs/partition-manager.md), so that drift is survived, not a
         * risk to the verdict. Anywhere else (data, receipts, positions, marks...) a numbering
         * difference would move positions or lose messages at the next failover.
         */
        public boolean numberingDriftTheManagerSurvives() {
            return MANAGER_BUCKET.matcher(stream).find()
                    && copies.values().stream().mapToLong(Copy::messages).distinct().count() == 1;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(stream).append(':');
            copies.forEach((node, copy) -> sb.append(' ').append(node).append(" (").append(copy).append(')'));
            return sb.toString();
        }
    }

    /** The outcome: how many streams were compared, and those whose copies differ. */
    public record Result(int streams, List<Disagreement> disagreements, String problem) {
        public boolean agree() {
            return problem == null && disagreements.isEmpty();
        }

        /** True when every difference is one the partition manager survives (or there is none). */
        public boolean agreeWhereItMatters() {
            return problem == null && disagreements.stream().allMatch(Disagreement::numberingDriftTheManagerSurvives);
        }

        /** One line for the end of a local run. */
        public String describe() {
            if (problem != null) {
                return "NATS replicas: not compared (" + problem + ")";
            }
            if (disagreements.isEmpty()) {
                return "NATS replicas agree: " + streams + " streams, the same messages and sequences on every node";
            }
            if (agreeWhereItMatters()) {
                return "NATS replicas agree on every other stream (" + (streams - disagreements.size()) + " of " + streams
                        + "); numbered differently (a nats-server 2.9 drift the partition manager survives, see"
                        + " docs/partition-manager.md): " + String.join("; ", disagreements.stream().map(Disagreement::toString).toList());
            }
            return "NATS REPLICAS DISAGREE on " + disagreements.size() + " of " + streams
                    + " streams (a nats-server fault: a failover may lose or resurrect messages): "
                    + String.join("; ", disagreements.stream().map(Disagreement::toString).toList());
        }
    }

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Pattern MANAGER_BUCKET = Pattern.compile("> KV_natsoak_.+_(members|leader)$");
    private static final String JSZ = "/jsz?accounts=true&streams=true";

    private ReplicaAgreement() {
    }

    /** Compares the running nodes' copies, again and again for up to {@code patience} while a node catches up. */
    public static Result check(NatsCluster cluster, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Result r;
            try {
                Map<String, String> bodies = new TreeMap<>();
                for (int i = 0; i < cluster.size(); i++) {
                    String node = "n" + i;
                    cluster.monitor(i, JSZ).ifPresent(body -> bodies.put(node, body));
                }
                r = bodies.size() < 2 ? new Result(0, List.of(), "fewer than two nodes are running") : compare(bodies);
            } catch (IOException e) {
                r = new Result(0, List.of(), "monitoring endpoint: " + e.getMessage());
            }
            if (r.agree() || System.nanoTime() - deadline >= 0) {
                return r;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Compares the {@code /jsz} answers of several nodes (node name to JSON body). */
    static Result compare(Map<String, String> jszByNode) throws IOException {
        Map<String, Map<String, Copy>> copies = new TreeMap<>();
        for (Map.Entry<String, String> e : jszByNode.entrySet()) {
            JsonNode root = Json.MAPPER.readTree(e.getValue());
            for (JsonNode account : root.path("account_details")) {
                for (JsonNode stream : account.path("stream_detail")) {
                    JsonNode state = stream.path("state");
                    Copy copy = new Copy(state.path("messages").asLong(), state.path("first_seq").asLong(), state.path("last_seq").asLong());
                    copies.computeIfAbsent(account.path("name").asText() + " > " + stream.path("name").asText(), k -> new TreeMap<>())
                            .put(e.getKey(), copy);
                }
            }
        }
        List<Disagreement> differ = new ArrayList<>();
        copies.forEach((stream, byNode) -> {
            if (byNode.values().stream().distinct().count() > 1) {
                differ.add(new Disagreement(stream, byNode));
            }
        });
        return new Result(copies.size(), differ, null);
    }
}

package io.natsoak.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.natsoak.config.ConfigValidator;
import io.natsoak.model.Json;
import io.natsoak.model.Report;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The final lines that name the NATS a local run judged: every node as its own monitoring
 * endpoint ({@code /varz}) describes it (name, version, JetStream sync interval), and what the
 * verifier's report says it saw (the servers its connection was on, the data and receipts
 * streams' replicas, storage and placement).
 */
final class NatsJudged {

    private NatsJudged() {
    }

    /** "NATS nodes (each node's /varz): n0 2.15.1 sync_interval 2m, n1 ..." */
    static String nodes(NatsCluster cluster) {
        List<String> nodes = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            nodes.add(node(cluster, i));
        }
        return "NATS nodes (each node's /varz): " + String.join(", ", nodes);
    }

    private static String node(NatsCluster cluster, int i) {
        Optional<String> varz;
        try {
            varz = cluster.monitor(i, "/varz");
        } catch (IOException e) {
            return "node " + i + " unreadable (" + OneLine.of(e) + ")";
        }
        if (varz.isEmpty()) {
            return "node " + i + " not running";
        }
        try {
            return describeVarz(Json.MAPPER.readTree(varz.get()));
        } catch (IOException e) {
            return "node " + i + " unreadable (" + OneLine.of(e) + ")";
        }
    }

    static String describeVarz(JsonNode varz) {
        JsonNode jetstream = varz.path("jetstream").path("config");
        JsonNode sync = jetstream.path("sync_interval");
        String syncText = sync.isNumber() ? "sync_interval " + ConfigValidator.human(Duration.ofNanos(sync.asLong()))
                : "sync_interval not reported";
        if (jetstream.path("sync_always").asBoolean(false)) {
            syncText = "sync_always";
        }
        return varz.path("server_name").asText("?") + " " + varz.path("version").asText("?") + " " + syncText;
    }

    /** "Verifier judged: connected to n0 2.15.1; data NATSOAK_x_DATA R3 file on n1*, n0, n2; receipts ..." (* the leader). */
    static String judged(Report.Nats nats) {
        if (nats == null) {
            return "NATS the verifier judged: not recorded in its report";
        }
        List<String> servers = nats.servers().stream().map(s -> s.name() + " " + s.version()).toList();
        StringBuilder line = new StringBuilder("NATS the verifier judged: its connection was on ")
                .append(servers.isEmpty() ? "no server it recorded" : String.join(", ", servers));
        for (Report.NatsStream s : nats.streams()) {
            line.append("; ").append(s.role()).append(" stream ").append(s.name()).append(" R").append(s.replicas()).append(' ')
                    .append(s.storage());
            if (!s.nodes().isEmpty()) {
                line.append(" on ").append(String.join(", ", s.nodes().stream()
                        .map(n -> n.equals(s.leader()) ? n + " (leader)" : s.offline().contains(n) ? n + " (offline)" : n).toList()));
            }
        }
        return line.toString();
    }
}

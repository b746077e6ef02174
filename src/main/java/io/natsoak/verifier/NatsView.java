package io.natsoak.verifier;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.PeerInfo;
import io.nats.client.api.ServerInfo;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.natsoak.model.Report;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The NATS the verifier judges, for the report's {@code nats}: every server its own connection has
 * been on (name, version and cluster from that server's INFO, so a run that failed over lists each
 * node it reached) and the data and receipts streams' settings and placement (JetStream stream
 * info: replicas, storage, leader, every replica's server name). The versions of nodes it never
 * connected to are not reachable without a system account. {@link #look} runs on the reporter
 * thread; {@link #snapshot} makes no call, so the live report stays cheap.
 */
final class NatsView {

    private static final Logger LOG = Logger.getLogger(NatsView.class);

    private final Names names;
    /** By name and version: a node restarted with another binary is listed twice. */
    private final Map<String, Report.NatsServer> servers = new LinkedHashMap<>();
    private volatile List<Report.NatsStream> streams = List.of();

    NatsView(Names names) {
        this.names = names;
    }

    /** Notes the server the connection is on and, with {@code streamsToo}, reads the two streams' info (keeps the last on failure). */
    void look(Connection connection, boolean streamsToo) {
        if (connection == null || connection.getStatus() != Connection.Status.CONNECTED) {
            return;
        }
        ServerInfo info = connection.getServerInfo();
        if (info != null && info.getServerName() != null) {
            synchronized (servers) {
                servers.putIfAbsent(info.getServerName() + "@" + info.getVersion(),
                        new Report.NatsServer(info.getServerName(), info.getVersion(), info.getCluster()));
            }
        }
        if (!streamsToo) {
            return;
        }
        try {
            JetStreamManagement jsm = connection.jetStreamManagement();
            streams = List.of(stream("data", jsm.getStreamInfo(names.dataStream())),
                    stream("receipts", jsm.getStreamInfo(names.receiptsStream())));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("cannot read the streams' info for the report (keeping the last): %s", e.toString());
        }
    }

    /** What was seen so far; null before anything was. */
    Report.Nats snapshot() {
        List<Report.NatsServer> seen;
        synchronized (servers) {
            seen = List.copyOf(servers.values());
        }
        List<Report.NatsStream> s = streams;
        return seen.isEmpty() && s.isEmpty() ? null : new Report.Nats(seen, s);
    }

    static Report.NatsStream stream(String role, StreamInfo info) {
        StreamConfiguration config = info.getConfiguration();
        ClusterInfo cluster = info.getClusterInfo();
        List<String> nodes = new ArrayList<>();
        List<String> offline = new ArrayList<>();
        String leader = null;
        String clusterName = null;
        if (cluster != null) {
            clusterName = cluster.getName();
            leader = cluster.getLeader();
            if (leader != null) {
                nodes.add(leader);
            }
            if (cluster.getReplicas() != null) {
                for (PeerInfo replica : cluster.getReplicas()) {
                    nodes.add(replica.getName());
                    if (replica.isOffline()) {
                        offline.add(replica.getName());
                    }
                }
            }
        }
        return new Report.NatsStream(role, config.getName(), config.getReplicas(),
                config.getStorageType().toString().toLowerCase(Locale.ROOT), clusterName, leader, nodes, offline);
    }
}

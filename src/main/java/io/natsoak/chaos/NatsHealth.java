package io.natsoak.chaos;

import io.nats.client.Connection;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.Replica;
import io.nats.client.api.StreamInfo;
import io.natsoak.nats.Names;

import java.util.List;
import java.util.Optional;

/**
 * Whether the NATS cluster has recovered from the last node kill, as far as this run is
 * concerned: every stream and bucket of the run has a leader and a full set of current, online
 * replicas. nats_node_kill waits for this (and for every server to be up again) so it never
 * kills a second node while the first one's streams are still catching up, which would cost
 * quorum and turn a soak test into a data-loss test of two simultaneous failures.
 */
public final class NatsHealth {

    private final Connection connection;
    private final String dataPrefix;
    private final String bucketPrefix;
    private final int replicas;

    public NatsHealth(Connection connection, Names names, int replicas) {
        this.connection = connection;
        this.dataPrefix = "NATSOAK_" + names.runId() + "_";
        this.bucketPrefix = "KV_natsoak_" + names.runId() + "_";
        this.replicas = replicas;
    }

    /** Why the cluster is not healthy yet; empty when it is. */
    public Optional<String> problem() {
        List<StreamInfo> streams;
        try {
            streams = connection.jetStreamManagement().getStreams();
        } catch (Exception e) {
            // Right after a node kill the meta leader may be electing: a cluster that cannot
            // answer is not healthy, which is all the caller needs to know.
            return Optional.of("the cluster does not answer (" + e.getMessage() + ")");
        }
        for (StreamInfo info : streams) {
            String name = info.getConfiguration().getName();
            if (!name.startsWith(dataPrefix) && !name.startsWith(bucketPrefix)) {
                continue;
            }
            ClusterInfo cluster = info.getClusterInfo();
            if (replicas <= 1 || cluster == null) {
                continue;
            }
            if (cluster.getLeader() == null || cluster.getLeader().isEmpty()) {
                return Optional.of("stream " + name + " has no leader");
            }
            List<Replica> peers = cluster.getReplicas() == null ? List.of() : cluster.getReplicas();
            int wanted = info.getConfiguration().getReplicas() - 1;
            if (peers.size() < wanted) {
                return Optional.of("stream " + name + " has " + peers.size() + " of " + wanted + " followers");
            }
            for (Replica r : peers) {
                if (r.isOffline() || !r.isCurrent()) {
                    return Optional.of("stream " + name + ": replica on " + r.getName() + " is " + (r.isOffline() ? "offline" : "catching up"));
                }
            }
        }
        return Optional.empty();
    }
}

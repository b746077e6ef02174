package io.natsoak.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.api.KeyValueEntry;
import io.natsoak.assign.AssignNames;
import io.natsoak.model.Json;
import io.natsoak.nats.LeaderReads;

import java.util.Optional;

/**
 * Finds the worker that really holds the partition manager's leadership: the election key
 * ({@code natsoak_<run>_leader/leader}) names the leader's member id, and that member's heartbeat
 * ({@code natsoak_<run>_members/<id>}) names its process by NATS connection name,
 * {@code <instance>-worker} (docs/partition-manager.md). The instance is the pod name in
 * Kubernetes and the process name locally.
 */
public final class LeaderLookup {

    /** The worker component's connections are named {@code <instance>-worker} (OwnedConnection). */
    static final String CONNECTION_SUFFIX = "-worker";

    private final Connection connection;
    private final AssignNames names;

    public LeaderLookup(Connection connection, String runId) {
        this.connection = connection;
        this.names = new AssignNames(runId);
    }

    /** The leader's instance name; empty when nobody leads (static assignment, or an election under way). */
    public Optional<String> leaderInstance() throws Exception {
        Optional<String> member = read(names.leaderBucket(), AssignNames.LEADER_KEY).map(n -> n.path("member").asText(null));
        if (member.isEmpty()) {
            return Optional.empty();
        }
        return read(names.membersBucket(), member.get())
                .map(n -> n.path("instance").asText(null))
                .map(LeaderLookup::instanceOf);
    }

    static String instanceOf(String connectionName) {
        return connectionName.endsWith(CONNECTION_SUFFIX)
                ? connectionName.substring(0, connectionName.length() - CONNECTION_SUFFIX.length()) : connectionName;
    }

    /** From the stream leader ({@link LeaderReads}): a lagging replica could name a leader that has gone. */
    private Optional<JsonNode> read(String bucket, String key) throws Exception {
        Optional<KeyValueEntry> entry;
        try {
            entry = LeaderReads.kvEntry(connection, bucket, key);
        } catch (java.io.IOException | io.nats.client.JetStreamApiException e) {
            return Optional.empty(); // no such bucket (static assignment), or an election under way: nothing leads
        }
        byte[] value = entry.map(KeyValueEntry::getValue).orElse(null);
        if (value == null || value.length == 0) {
            return Optional.empty();
        }
        JsonNode node = Json.MAPPER.readTree(value);
        return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    }
}

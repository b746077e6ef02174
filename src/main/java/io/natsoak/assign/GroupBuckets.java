package io.natsoak.assign;

import io.nats.client.Connection;
import io.nats.client.KeyValueOptions;
import io.natsoak.config.ManagerSettings;

import java.io.IOException;

/** The four buckets of one run ({@link AssignNames}). */
record GroupBuckets(KvBucket members, KvBucket leader, KvBucket assignment, KvBucket releases) {

    static GroupBuckets open(Connection connection, AssignNames names, ManagerSettings settings) throws IOException {
        KeyValueOptions options = KeyValueOptions.builder().jsRequestTimeout(settings.requestTimeout()).build();
        return new GroupBuckets(new NatsBucket(connection, names.membersBucket(), options),
                new NatsBucket(connection, names.leaderBucket(), options),
                new NatsBucket(connection, names.assignmentBucket(), options),
                new NatsBucket(connection, names.releasesBucket(), options));
    }
}

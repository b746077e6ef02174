package io.natsoak.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.natsoak.model.Json;
import io.natsoak.model.RunRecord;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;

/**
 * The run's shared start time and end. The first process to arrive writes the run record with
 * a KV create (atomic: exactly one writer wins); everyone else, including restarted processes,
 * reads it, so a restart never moves the end of the run.
 */
public record RunClock(long startedAtMillis, long endsAtMillis) {

    public boolean timed() {
        return endsAtMillis != Long.MAX_VALUE;
    }

    public static RunClock join(Connection connection, Names names, Duration duration, Clock clock)
            throws IOException, JetStreamApiException, InterruptedException {
        KeyValue kv = connection.keyValue(names.runBucket());
        RunRecord mine = new RunRecord(clock.millis(), duration.toMillis());
        try {
            kv.create(Names.RUN_KEY, Json.write(mine));
            return of(mine);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != JetStreamErrors.WRONG_LAST_SEQUENCE) {
                throw e;
            }
        }
        // Written once and never changed, but a replica that has not stored it yet would answer "none".
        KeyValueEntry entry = LeaderReads.kvEntry(connection, names.runBucket(), Names.RUN_KEY).orElse(null);
        if (entry == null || entry.getValue() == null) {
            throw new IllegalStateException("run record of " + names.runId() + " vanished while joining");
        }
        return of(Json.read(entry.getValue(), RunRecord.class));
    }

    private static RunClock of(RunRecord r) {
        return new RunClock(r.startedAtMillis(), r.endsAtMillis());
    }
}

package io.natsoak.testing;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StreamInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.api.Subject;
import io.natsoak.model.Envelope;
import io.natsoak.nats.Names;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks on what the data stream itself holds, independent of the verifier. */
public final class StreamAssertions {

    private StreamAssertions() {
    }

    /**
     * Each partition's subject holds exactly its sequences 1..last, i.e. stored count == last
     * sequence: no sequence was skipped and none was stored twice.
     */
    public static void assertEverySubjectHoldsExactlyItsSequences(List<String> urls, Names names, int partitions) throws Exception {
        assertSubjectsHoldExactlyTheirSequences(urls, names, java.util.stream.IntStream.range(0, partitions).toArray());
    }

    /** The same for some partitions only. */
    public static void assertSubjectsHoldExactlyTheirSequences(List<String> urls, Names names, int... partitions) throws Exception {
        try (Connection c = Nats.connect(String.join(",", urls))) {
            JetStreamManagement jsm = c.jetStreamManagement();
            StreamInfo info = jsm.getStreamInfo(names.dataStream(), StreamInfoOptions.allSubjects());
            for (int p : partitions) {
                String subject = names.dataSubject(p);
                long count = info.getStreamState().getSubjects().stream().filter(s -> s.getName().equals(subject))
                        .mapToLong(Subject::getCount).sum();
                long last = Envelope.decode(jsm.getLastMessage(names.dataStream(), subject).getData()).sequence();
                assertThat(count).as("partition %d: stored messages == last sequence (none skipped, none twice)", p).isEqualTo(last);
            }
        }
    }
}

package io.natsoak.local;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The comparison of the nodes' {@code /jsz} answers (shape as nats-server 2.9.10 answers
 * {@code /jsz?accounts=true&streams=true}). The members-bucket sequences are those of a real chaos
 * run on nats-server 2.9.10 (session 6) whose members bucket had drifted by one after a node kill
 * while the verdict passed.
 */
class ReplicaAgreementTest {

    private static String jsz(String stream, long messages, long first, long last) {
        return """
                {"server_id":"N","account_details":[{"name":"$G","id":"$G","stream_detail":[
                  {"name":"%s","cluster":{"leader":"n1"},"state":{"messages":%d,"bytes":1,"first_seq":%d,"last_seq":%d}},
                  {"name":"NATSOAK_soak_DATA","state":{"messages":41849,"first_seq":1,"last_seq":41849}}]}]}
                """.formatted(stream, messages, first, last);
    }

    /** Each node's /jsz answer about the members bucket: {messages, first, last} per node n0, n1, ... */
    private static ReplicaAgreement.Result members(long[]... copies) throws Exception {
        Map<String, String> bodies = new java.util.TreeMap<>();
        for (int i = 0; i < copies.length; i++) {
            bodies.put("n" + i, jsz("KV_natsoak_soak_members", copies[i][0], copies[i][1], copies[i][2]));
        }
        return ReplicaAgreement.compare(bodies);
    }

    @Test
    void copiesWithTheSameMessagesAndSequencesAgree() throws Exception {
        long[] same = {3, 895, 897};
        ReplicaAgreement.Result r = members(same, same, same);
        assertThat(r.agree()).isTrue();
        assertThat(r.streams()).isEqualTo(2);
        assertThat(r.describe()).startsWith("NATS replicas agree: 2 streams");
    }

    @Test
    void aManagerBucketNumberedDifferentlyIsReportedWithEveryNodesCopyAsADriftTheManagerSurvives() throws Exception {
        ReplicaAgreement.Result r = members(new long[] {5, 418, 596}, new long[] {5, 417, 595}, new long[] {5, 417, 595});
        assertThat(r.agree()).isFalse();
        assertThat(r.agreeWhereItMatters()).isTrue();
        assertThat(r.disagreements()).extracting(ReplicaAgreement.Disagreement::stream).containsExactly("$G > KV_natsoak_soak_members");
        assertThat(r.describe()).startsWith("NATS replicas agree on every other stream (1 of 2); numbered differently")
                .contains("n0 (messages 5, first 418, last 596)").contains("n1 (messages 5, first 417, last 595)")
                .doesNotContain("NATSOAK_soak_DATA").doesNotContain("DISAGREE");
    }

    @Test
    void aDataStreamNumberedDifferentlyDisagrees() throws Exception {
        ReplicaAgreement.Result r = ReplicaAgreement.compare(Map.of(
                "n0", jsz("NATSOAK_soak_RECEIPTS", 900, 1, 900),
                "n1", jsz("NATSOAK_soak_RECEIPTS", 900, 2, 901)));
        assertThat(r.agreeWhereItMatters()).isFalse();
        assertThat(r.describe()).startsWith("NATS REPLICAS DISAGREE on 1 of 2 streams")
                .contains("n1 (messages 900, first 2, last 901)");
    }

    @Test
    void aManagerBucketWithADifferentMessageCountDisagrees() throws Exception {
        ReplicaAgreement.Result r = members(new long[] {0, 902, 901}, new long[] {1, 898, 898}, new long[] {0, 902, 901});
        assertThat(r.agreeWhereItMatters()).isFalse();
        assertThat(r.describe()).startsWith("NATS REPLICAS DISAGREE on 1 of 2 streams")
                .contains("n1 (messages 1, first 898, last 898)").contains("n0 (messages 0, first 902, last 901)");
    }

    @Test
    void aCopyWithFewerMessagesDisagreesToo() throws Exception {
        ReplicaAgreement.Result r = ReplicaAgreement.compare(Map.of(
                "n0", jsz("KV_natsoak_soak_releases", 24, 1, 389),
                "n1", jsz("KV_natsoak_soak_releases", 23, 1, 389)));
        assertThat(r.disagreements()).hasSize(1);
        assertThat(r.agreeWhereItMatters()).isFalse();
    }
}

package io.natsoak.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The comparison of the nodes' {@code /jsz} answers (shape as nats-server 2.9.10 answers
 * {@code /jsz?accounts=true&streams=true}). The sequences in the failing case are those of a
 * real chaos run on nats-server 2.9.10 whose members bucket had drifted: the check run against
 * that run's kept stores reported exactly this (docs/reliability.md).
 */
class ReplicaAgreementTest {

    private static String jsz(String stream, long messages, long first, long last) {
        return """
                {"server_id":"N","account_details":[{"name":"$G","id":"$G","stream_detail":[
                  {"name":"%s","cluster":{"leader":"n1"},"state":{"messages":%d,"bytes":1,"first_seq":%d,"last_seq":%d}},
                  {"name":"NATSOAK_soak_DATA","state":{"messages":41849,"first_seq":1,"last_seq":41849}}]}]}
                """.formatted(stream, messages, first, last);
    }

    @Test
    void copiesWithTheSameMessagesAndSequencesAgree() throws Exception {
        ReplicaAgreement.Result r = ReplicaAgreement.compare(Map.of(
                "n0", jsz("KV_natsoak_soak_members", 3, 895, 897),
                "n1", jsz("KV_natsoak_soak_members", 3, 895, 897),
                "n2", jsz("KV_natsoak_soak_members", 3, 895, 897)));
        assertThat(r.agree()).isTrue();
        assertThat(r.streams()).isEqualTo(2);
        assertThat(r.describe()).startsWith("NATS replicas agree: 2 streams");
    }

    @Test
    void aCopyNumberedDifferentlyIsReportedWithEveryNodesCopy() throws Exception {
        ReplicaAgreement.Result r = ReplicaAgreement.compare(Map.of(
                "n0", jsz("KV_natsoak_soak_members", 0, 902, 901),
                "n1", jsz("KV_natsoak_soak_members", 0, 898, 897),
                "n2", jsz("KV_natsoak_soak_members", 0, 902, 901)));
        assertThat(r.agree()).isFalse();
        assertThat(r.disagreements()).extracting(ReplicaAgreement.Disagreement::stream).containsExactly("$G > KV_natsoak_soak_members");
        assertThat(r.describe()).startsWith("NATS REPLICAS DISAGREE on 1 of 2 streams")
                .contains("n1 (messages 0, first 898, last 897)").contains("n0 (messages 0, first 902, last 901)")
                .doesNotContain("NATSOAK_soak_DATA");
    }

    @Test
    void aCopyWithFewerMessagesDisagreesToo() throws Exception {
        ReplicaAgreement.Result r = ReplicaAgreement.compare(Map.of(
                "n0", jsz("KV_natsoak_soak_releases", 24, 1, 389),
                "n1", jsz("KV_natsoak_soak_releases", 23, 1, 389)));
        assertThat(r.disagreements()).hasSize(1);
    }
}

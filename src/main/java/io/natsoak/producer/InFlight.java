package io.natsoak.producer;

/** One publish of a partition's sequence, from its first send until its PubAck; retried with the same bytes. Owned by the send thread. */
final class InFlight {
    final int partition;
    final long sequence;
    final byte[] payload;
    int attempts;
    long retryAtNanos;

    InFlight(int partition, long sequence, byte[] payload) {
        this.partition = partition;
        this.sequence = sequence;
        this.payload = payload;
    }
}

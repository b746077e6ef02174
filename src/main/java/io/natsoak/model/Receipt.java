package io.natsoak.model;

/**
 * A worker's statement that it processed one data message.
 *
 * @param deliveryCount how many times natsoak may have delivered this message: JetStream's own
 *                      count, plus one when the message was replayed after its previous owner
 *                      stopped without committing (it may have processed it already)
 * @param latencyMicros from the message's intended send time to the end of its processing
 */
public record Receipt(int partition, long sequence, int deliveryCount, long latencyMicros) {

    public static final int BYTES = 4 + 8 + 4 + 8;
}

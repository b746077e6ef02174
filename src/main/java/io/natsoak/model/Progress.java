package io.natsoak.model;

/**
 * The verifier's running totals, published on core NATS every second on
 * {@code natsoak.<run>.progress} (fire and forget): what the chaos operator times each fault's
 * recovery against ({@code io.natsoak.chaos.RecoveryWatch}). A lost one is one point fewer.
 *
 * @param atMillis  when the totals were taken (epoch ms, the verifier's clock)
 * @param published messages the producers have said were acknowledged (their marks)
 * @param verified  messages with a valid receipt
 */
public record Progress(long atMillis, long published, long verified) {
}

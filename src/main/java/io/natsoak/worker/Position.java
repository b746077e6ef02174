package io.natsoak.worker;

import io.natsoak.model.MalformedMessageException;

import java.nio.charset.StandardCharsets;

/**
 * A partition's committed consumption position: every data message up to {@code streamSequence}
 * has been processed and its receipt stored. {@code clean} says the owner stopped gracefully
 * after committing everything it processed; an unclean position may be behind what the previous
 * owner processed, so messages after it are replayed and marked as possible redeliveries.
 */
public record Position(long streamSequence, boolean clean, String owner) {

    public byte[] encode() {
        return (streamSequence + "," + (clean ? "clean" : "running") + "," + owner).getBytes(StandardCharsets.UTF_8);
    }

    public static Position decode(byte[] data) {
        String[] parts = new String(data, StandardCharsets.UTF_8).split(",", 3);
        if (parts.length != 3) {
            throw new MalformedMessageException("position record has " + parts.length + " fields, expected 3");
        }
        try {
            return new Position(Long.parseLong(parts[0]), "clean".equals(parts[1]), parts[2]);
        } catch (NumberFormatException e) {
            throw new MalformedMessageException("position record has a bad sequence: " + parts[0]);
        }
    }
}

package io.natsoak.worker;

import io.natsoak.model.MalformedMessageException;

import java.nio.charset.StandardCharsets;

/**
 * A partition's committed consumption position: every data message up to {@code streamSequence}
 * has been processed and its receipt stored. {@code clean} says the owner stopped gracefully
 * after committing everything it processed; an unclean position may be behind what the previous
 * owner processed, so messages after it are replayed and marked as possible redeliveries.
 * <p>
 * {@code replayUntil} carries a replay that is not finished yet: messages up to it may have been
 * processed by an owner before the one that wrote this record. An owner that inherited a replay
 * and handed the partition on cleanly before reaching its end passes the rest on here; a clean
 * record alone would tell the next owner that nothing after the position was ever processed.
 * Zero when no replay is pending.
 */
public record Position(long streamSequence, boolean clean, long replayUntil, String owner) {

    private static final int FIELDS = 4;

    public Position {
        if (replayUntil <= streamSequence) {
            replayUntil = 0;
        }
    }

    public byte[] encode() {
        return (streamSequence + "," + (clean ? "clean" : "running") + "," + replayUntil + "," + owner).getBytes(StandardCharsets.UTF_8);
    }

    public static Position decode(byte[] data) {
        String[] parts = new String(data, StandardCharsets.UTF_8).split(",", FIELDS);
        if (parts.length != FIELDS) {
            throw new MalformedMessageException("position record has " + parts.length + " fields, expected " + FIELDS
                    + " (<stream sequence>,<clean|running>,<replay until>,<owner>)");
        }
        if (!"clean".equals(parts[1]) && !"running".equals(parts[1])) {
            throw new MalformedMessageException("position record has state '" + parts[1] + "', expected clean or running");
        }
        return new Position(number(parts[0], "stream sequence"), "clean".equals(parts[1]), number(parts[2], "replay horizon"), parts[3]);
    }

    private static long number(String text, String what) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new MalformedMessageException("position record has a bad " + what + ": " + text);
        }
    }
}

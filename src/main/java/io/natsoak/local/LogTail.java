package io.natsoak.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The end of a log, joined into one line, for an error message that says why a process failed. */
final class LogTail {

    private static final int LINES = 15;
    private static final int MAX_CHARS = 3000;
    /** Enough for {@link #LINES} lines of nats-server's log. */
    private static final int READ_BYTES = 16 * 1024;

    private LogTail() {
    }

    /** The last non-blank lines of {@code log}, joined with " | "; a placeholder when there is none. */
    static String of(Path log) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            int toRead = (int) Math.min(len, READ_BYTES);
            byte[] buf = new byte[toRead];
            f.seek(len - toRead);
            f.readFully(buf);
            List<String> lines = new ArrayList<>(Arrays.asList(new String(buf, StandardCharsets.UTF_8).split("\\R")));
            lines.removeIf(String::isBlank);
            List<String> tail = lines.subList(Math.max(0, lines.size() - LINES), lines.size());
            String joined = String.join(" | ", tail);
            if (joined.length() > MAX_CHARS) {
                joined = "..." + joined.substring(joined.length() - MAX_CHARS);
            }
            return joined.isEmpty() ? "<empty>" : joined;
        } catch (NoSuchFileException e) {
            return "<no log file>";
        } catch (IOException e) {
            return "<cannot read log: " + OneLine.of(e) + ">";
        }
    }
}

package io.natsoak.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs child processes in a session of their own (setsid), so Ctrl-C in the terminal reaches
 * only the launcher, which then stops everything in order (producers, verifier, workers, NATS)
 * instead of every process dying at once and the verdict with them.
 */
final class Detached {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private Detached() {
    }

    /** The command, prefixed with setsid where the system has it (setsid execs in place: same pid). */
    static List<String> command(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> detached = new ArrayList<>(command.size() + 1);
        detached.add(SETSID.toString());
        detached.addAll(command);
        return detached;
    }
}

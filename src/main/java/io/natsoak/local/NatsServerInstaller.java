package io.natsoak.local;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds nats-server; on Debian or Ubuntu as root installs it with the OS package manager
 * (the only way this project installs anything), otherwise says what to install.
 */
final class NatsServerInstaller {

    private NatsServerInstaller() {
    }

    static String ensure(String configured, PrintStream out) throws IOException, InterruptedException {
        Optional<String> found = NatsCluster.findBinary(configured);
        if (found.isPresent()) {
            return found.get();
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean apt = Files.isExecutable(Path.of("/usr/bin/apt-get"));
        if (!root || !apt) {
            throw new LocalLauncher.LaunchException("nats-server not found; install it (Debian/Ubuntu: apt-get install nats-server) "
                    + "or set natsoak.local.nats-server to its path");
        }
        out.println("nats-server not found; installing it with apt-get (Debian package nats-server)");
        run(List.of("apt-get", "update", "-qq"));
        run(List.of("apt-get", "install", "-y", "-qq", "nats-server"));
        return NatsCluster.findBinary(configured)
                .orElseThrow(() -> new LocalLauncher.LaunchException("apt-get installed nats-server but it is still not on the PATH"));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new LocalLauncher.LaunchException(String.join(" ", command) + " failed (exit " + p.exitValue()
                    + "); install nats-server by hand or set natsoak.local.nats-server");
        }
    }
}

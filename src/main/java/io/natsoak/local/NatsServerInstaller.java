package io.natsoak.local;

import java.io.IOException;
import java.io.PrintStream;
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
        if (!AptInstall.possible()) {
            throw new LocalLauncher.LaunchException("nats-server not found; install it (Debian/Ubuntu: apt-get install nats-server) "
                    + "or set natsoak.local.nats-server to its path");
        }
        AptInstall.install("nats-server", "set natsoak.local.nats-server", out);
        return NatsCluster.findBinary(configured)
                .orElseThrow(() -> new LocalLauncher.LaunchException("apt-get installed nats-server but it is still not on the PATH"));
    }
}

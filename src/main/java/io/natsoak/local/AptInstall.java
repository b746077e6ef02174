package io.natsoak.local;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Installs a missing Debian package with apt-get, as root on Debian or Ubuntu only (the only way
 * this project installs anything); elsewhere the caller says what to install instead.
 */
final class AptInstall {

    private AptInstall() {
    }

    /** Root and apt-get: installing is possible. */
    static boolean possible() {
        return "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/apt-get"));
    }

    /**
     * {@code apt-get update} and {@code apt-get install} of the package, its output shown as it goes.
     *
     * @param instead what the user can do when it fails, for the one-line error
     * @throws LocalLauncher.LaunchException when apt-get fails
     */
    static void install(String pkg, String instead, PrintStream out) throws IOException, InterruptedException {
        out.println(pkg + " not found; installing it with apt-get (Debian package " + pkg + ")");
        run(List.of("apt-get", "update", "-qq"), pkg, instead);
        run(List.of("apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg), pkg, instead);
    }

    private static void run(List<String> command, String pkg, String instead) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = builder.start();
        if (p.waitFor() != 0) {
            throw new LocalLauncher.LaunchException(String.join(" ", command) + " failed (exit " + p.exitValue() + "); install " + pkg
                    + " by hand or " + instead);
        }
    }
}

package io.natsoak.local;

import io.natsoak.config.LocalConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The nats-server binary a local run starts on every node, and the version it reports: the
 * release or path of {@code natsoak.local.nats-version} ({@code --nats}) when set, else
 * {@code natsoak.local.nats-server} (installed with apt-get when missing, as before).
 */
public record NatsServerChoice(Path binary, String version) {

    static final String UNKNOWN = "unknown";

    /** @throws LocalLauncher.LaunchException one line naming what is wrong and what is allowed */
    static NatsServerChoice of(LocalConfig local, PrintStream out) throws IOException, InterruptedException {
        Optional<String> wanted = local.natsVersion().map(String::strip);
        if (wanted.isEmpty()) {
            Path binary = Path.of(NatsServerInstaller.ensure(local.natsServer(), out));
            return new NatsServerChoice(binary, NatsVersion.of(binary).orElse(UNKNOWN));
        }
        return of(wanted.get(), out);
    }

    /**
     * The binary of {@code --nats VALUE} (a release, fetched once into the cache, or a path), for
     * every command that starts nats-server ({@code local}, {@code bench}).
     *
     * @throws LocalLauncher.LaunchException one line naming what is wrong and what is allowed
     */
    public static NatsServerChoice of(String value, PrintStream out) throws IOException, InterruptedException {
        if (value.isEmpty()) {
            throw new LocalLauncher.LaunchException("--nats: empty; allowed: " + NatsServerVersions.allowed());
        }
        if (value.contains("/")) {
            return ofPath(value);
        }
        NatsServerVersions.Release release = NatsServerVersions.find(value).orElseThrow(() -> new LocalLauncher.LaunchException(
                "--nats " + value + ": not a nats-server release natsoak can fetch; allowed: " + NatsServerVersions.allowed()));
        Path binary = new NatsDownload(NatsServerVersions.cacheRoot(), out).ensure(release);
        String version = NatsVersion.of(binary).orElse(UNKNOWN);
        if (!version.startsWith(release.alias() + ".")) {
            throw new LocalLauncher.LaunchException("--nats " + value + ": " + binary + " reports version " + version + ", not "
                    + release.alias() + ".x; delete it and run again to fetch it anew");
        }
        return new NatsServerChoice(binary, version);
    }

    private static NatsServerChoice ofPath(String value) throws InterruptedException {
        Path binary = Path.of(value).toAbsolutePath();
        if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
            throw new LocalLauncher.LaunchException("--nats " + value + ": no executable file there; allowed: "
                    + NatsServerVersions.allowed());
        }
        String version = NatsVersion.of(binary).orElseThrow(() -> new LocalLauncher.LaunchException("--nats " + value
                + ": '" + value + " --version' does not answer like a nats-server; allowed: " + NatsServerVersions.allowed()));
        return new NatsServerChoice(binary, version);
    }

    /** For the run's first lines: "nats-server 2.10.27 (/root/.cache/natsoak/nats-server/2.10.27/nats-server)". */
    public String describe() {
        return "nats-server " + version + " (" + binary + ")";
    }
}

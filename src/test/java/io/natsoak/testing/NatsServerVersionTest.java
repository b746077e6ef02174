package io.natsoak.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NatsServerVersionTest {

    @Test
    void aMissingBinaryFailsNamingItsPathAndTheScriptThatInstallsIt(@TempDir Path cache) {
        assertThatThrownBy(() -> NatsServerVersion.V2_15.binaryIn(cache))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("nats-server 2.15.1 missing at " + cache.resolve("2.15.1/nats-server") + " (nor any 2.15.x beside it): run "
                        + "scripts/install-test-deps");
    }

    @Test
    void whenSidHasMovedOnTheNewestCachedReleaseOfTheLineServes(@TempDir Path cache) throws Exception {
        for (String v : List.of("2.15.2", "2.15.3", "2.10.27")) {
            Path binary = Files.createDirectories(cache.resolve(v)).resolve("nats-server");
            Files.writeString(binary, "#!/bin/sh\n");
            Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertThat(NatsServerVersion.V2_15.binaryIn(cache)).isEqualTo(cache.resolve("2.15.3/nats-server").toString());
    }

    @Test
    void aCachedBinaryIsFoundUnderItsFullVersion(@TempDir Path cache) throws Exception {
        Path binary = Files.createDirectories(cache.resolve("2.10.27")).resolve("nats-server");
        Files.writeString(binary, "#!/bin/sh\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(NatsServerVersion.V2_10.binaryIn(cache)).isEqualTo(binary.toString());
    }

    @Test
    void versionsAreNamedByTheirLineAndAnUnknownOneIsRefused() {
        assertThat(NatsServerVersion.of("2.10")).isEqualTo(NatsServerVersion.V2_10);
        assertThatThrownBy(() -> NatsServerVersion.of("2.11"))
                .hasMessage("-Dnatsoak.it.nats-versions: unknown nats-server version '2.11'; allowed: 2.9, 2.10, 2.15");
    }
}

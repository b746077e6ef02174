package io.natsoak.local;

import io.natsoak.model.Json;
import io.natsoak.model.Report;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What --nats accepts, where the binaries are cached, and how apt's, nats-server's and the report's answers are read. */
class NatsServerVersionsTest {

    @Test
    void aliasesAndFullVersionsNameTheDebianReleases() {
        assertThat(NatsServerVersions.find("2.9")).map(NatsServerVersions.Release::suite).hasValue("bookworm");
        assertThat(NatsServerVersions.find("2.10")).map(NatsServerVersions.Release::version).hasValue("2.10.27");
        assertThat(NatsServerVersions.find(" 2.15.1 ")).map(NatsServerVersions.Release::suite).hasValue("sid");
        assertThat(NatsServerVersions.find("2.11")).isEmpty();
        assertThat(NatsServerVersions.find("2.10.26")).isEmpty();
        assertThat(NatsServerVersions.allowed()).isEqualTo("2.9, 2.10, 2.15 (2.9.10 from Debian bookworm, 2.10.27 from Debian trixie, "
                + "2.15.1 from Debian sid) or the path of a nats-server binary");
    }

    /** The contract with scripts/install-test-deps and the tests: one directory per full version. */
    @Test
    void theCacheHasOneDirectoryPerVersion() {
        Path root = Path.of("/cache/natsoak/nats-server");
        assertThat(NatsServerVersions.cached(root, NatsServerVersions.find("2.15").orElseThrow()))
                .isEqualTo(Path.of("/cache/natsoak/nats-server/2.15.1/nats-server"));
        assertThat(NatsServerVersions.cacheRoot()).endsWith(Path.of("natsoak", "nats-server"));
    }

    /** sid moves on: a fetch then takes the newest of the line, and the cache serves the newest it has of a line. */
    @Test
    void whenTheSuiteHasMovedOnTheNewestReleaseOfTheLineServes() throws Exception {
        assertThat(NatsDownload.sameLine("2.15", "nats-server | 2.15.3-1 | http://deb.debian.org/debian sid/main amd64 Packages\n"))
                .hasValue("2.15.3-1");
        assertThat(NatsDownload.sameLine("2.15", "nats-server | 2.16.0-1 | http://deb.debian.org/debian sid/main amd64 Packages\n")).isEmpty();
        Path root = java.nio.file.Files.createTempDirectory("nats-cache");
        NatsServerVersions.Release sid = NatsServerVersions.find("2.15").orElseThrow();
        assertThat(NatsServerVersions.newestCachedOfLine(root, sid)).isEmpty();
        for (String v : List.of("2.15.2", "2.15.10", "2.16.0")) {
            Path bin = java.nio.file.Files.createDirectories(root.resolve(v)).resolve("nats-server");
            java.nio.file.Files.writeString(bin, "#!/bin/sh\n");
            assertThat(bin.toFile().setExecutable(true)).isTrue();
        }
        assertThat(NatsServerVersions.newestCachedOfLine(root, sid)).hasValue(root.resolve("2.15.10").resolve("nats-server"));
    }

    @Test
    void theDebianVersionIsPickedFromMadison() {
        String madison = """
                nats-server |   2.15.1-1 | http://deb.debian.org/debian sid/main amd64 Packages
                nats-server | 2.10.27-1+b2 | http://deb.debian.org/debian trixie/main amd64 Packages
                """;
        assertThat(NatsDownload.debianVersion("2.10.27", madison)).hasValue("2.10.27-1+b2");
        assertThat(NatsDownload.debianVersion("2.15.1", madison)).hasValue("2.15.1-1");
        assertThat(NatsDownload.debianVersion("2.15", madison)).isEmpty();
        assertThat(NatsDownload.debianVersion("2.9.10", "nats-server | 1:2.9.10-1 | x bookworm/main amd64 Packages")).hasValue("1:2.9.10-1");
    }

    @Test
    void everyAptStepIsPointedAtPrivateDirectories() {
        List<String> options = NatsDownload.aptOptions(Path.of("/w"), Path.of("/w/sources.list"));
        assertThat(options).contains("Dir::Etc::sourcelist=/w/sources.list", "Dir::Etc::sourceparts=/dev/null", "Dir::State::Lists=/w/lists",
                "Dir::Cache=/w/cache", "Dir::State::status=/dev/null");
    }

    @Test
    void theVersionIsReadFromVersionOutput() {
        assertThat(NatsVersion.parse("nats-server: v2.10.27\n")).hasValue("2.10.27");
        assertThat(NatsVersion.parse("nats-server: v2.15.1")).hasValue("2.15.1");
        assertThat(NatsVersion.parse("bash: nats-server: command not found")).isEmpty();
    }

    /** A binary already in the cache is used as it is: no apt-get, no network, no line printed. */
    @Test
    void aCachedBinaryIsUsedWithoutFetching(@TempDir Path cache) throws Exception {
        NatsServerVersions.Release release = NatsServerVersions.find("2.10").orElseThrow();
        Path binary = NatsServerVersions.cached(cache, release);
        Files.createDirectories(binary.getParent());
        Files.writeString(binary, "#!/bin/sh\necho 'nats-server: v2.10.27'\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Path found = new NatsDownload(cache, new PrintStream(printed, true, StandardCharsets.UTF_8)).ensure(release);
        assertThat(found).isEqualTo(binary);
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(NatsVersion.of(found)).hasValue("2.10.27");
    }

    @Test
    void eachNodeIsDescribedFromItsVarz() throws Exception {
        assertThat(NatsJudged.describeVarz(Json.MAPPER.readTree("""
                {"server_name":"n1","version":"2.15.1","jetstream":{"config":{"sync_interval":120000000000}}}""")))
                .isEqualTo("n1 2.15.1 sync_interval 2m");
        assertThat(NatsJudged.describeVarz(Json.MAPPER.readTree("""
                {"server_name":"n0","version":"2.9.10","jetstream":{"config":{"store_dir":"/x"}}}""")))
                .isEqualTo("n0 2.9.10 sync_interval not reported");
        assertThat(NatsJudged.describeVarz(Json.MAPPER.readTree("""
                {"server_name":"n2","version":"2.10.27","jetstream":{"config":{"sync_always":true}}}""")))
                .isEqualTo("n2 2.10.27 sync_always");
    }

    @Test
    void theVerifiersViewIsOneLine() {
        Report.Nats nats = new Report.Nats(List.of(new Report.NatsServer("n0", "2.15.1", "natsoak")), List.of(
                new Report.NatsStream("data", "NATSOAK_r_DATA", 3, "file", "natsoak", "n1", List.of("n1", "n0", "n2"), List.of("n2")),
                new Report.NatsStream("receipts", "NATSOAK_r_RECEIPTS", 1, "memory", null, null, List.of(), List.of())));
        assertThat(NatsJudged.judged(nats)).isEqualTo("NATS the verifier judged: its connection was on n0 2.15.1; data stream "
                + "NATSOAK_r_DATA R3 file on n1 (leader), n0, n2 (offline); receipts stream NATSOAK_r_RECEIPTS R1 memory");
        assertThat(NatsJudged.judged(null)).isEqualTo("NATS the verifier judged: not recorded in its report");
        assertThat(Optional.ofNullable(nats.streams().get(1).leader())).isEmpty();
    }
}

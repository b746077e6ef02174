package io.natsoak.security;

import io.natsoak.config.ConfigException;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.config.SettingCatalog;
import io.natsoak.nats.NatsSecurity;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configuration parsing under hostile input: random sets of real keys with values of the wrong
 * type, out of range, empty, huge or full of control characters, plus unknown and malformed keys.
 * Every outcome is a configuration or one {@link ConfigException} line naming a setting (from the
 * loader, or from {@link NatsSecurity#checkFiles}, which {@code Main} runs next); nothing else escapes. Seeded ({@code -Dnatsoak.fuzz.seed=N} repeats a run).
 */
class ConfigFuzzTest {

    private static final long SEED = Long.getLong("natsoak.fuzz.seed", 20261124L);
    private static final int ITERATIONS = Integer.getInteger("natsoak.fuzz.iterations", 1_500);

    private final Random random = new Random(SEED);
    private final JsonFuzz strings = new JsonFuzz(random, List.of(), List.of("5", "s", "ms", "-", ",", "nats://", "true", "1e309"));
    private final List<SettingCatalog.Setting> settings = new ArrayList<>(SettingCatalog.all().values());

    @Test
    void randomConfigurationsLoadOrFailWithOneLineNamingTheSetting() {
        int loaded = 0;
        Map<String, String> failures = new LinkedHashMap<>();
        for (int i = 0; i < ITERATIONS; i++) {
            Map<String, String> values = randomSettings();
            try {
                NatsoakConfig c = ConfigLoader.fromMap(values);
                NatsSecurity.checkFiles(c.nats());
                assertThat(c.partitions().count()).isPositive();
                loaded++;
            } catch (ConfigException e) {
                if (!isOneClearLine(e.getMessage())) {
                    failures.putIfAbsent(e.getMessage().replaceAll("\"[^\"]*\"", "\"…\"").replaceAll("natsoak\\.[^ :]*", "KEY").replaceAll("\\d+", "N"), ascii("iteration " + i + ", settings " + values + ": " + e.getMessage()));
                }
            } catch (Throwable t) {
                failures.putIfAbsent(t.getClass().getName(), ascii("iteration " + i + ", settings " + values + ": " + t));
            }
        }
        assertThat(failures.values()).as("seed %d: inputs whose outcome was not one clear line", SEED).isEmpty();
        assertThat(loaded).as("configurations that loaded among %d", ITERATIONS).isPositive();
    }

    /** A failure report readable anywhere: everything outside printable ASCII escaped. */
    static String ascii(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return sb.toString();
    }

    /** One line, naming a setting (or the -D syntax), no framework codes or exception names. */
    static boolean isOneClearLine(String m) {
        return m != null && !m.isBlank() && !m.contains("\n") && !m.contains("\r") && !m.contains("\u2028") && m.length() < 1100
                && !m.contains("SRCFG") && !m.contains("Exception") && (m.startsWith("natsoak") || m.startsWith("-D"));
    }

    private Map<String, String> randomSettings() {
        Map<String, String> values = new LinkedHashMap<>();
        int n = random.nextInt(5);
        for (int k = 0; k < n; k++) {
            if (random.nextInt(12) == 0) {
                values.put(randomKey(), strings.randomString(random.nextInt(20)));
            } else {
                SettingCatalog.Setting s = settings.get(random.nextInt(settings.size()));
                values.put(s.key(), valueFor(s));
            }
        }
        return values;
    }

    private String randomKey() {
        return switch (random.nextInt(6)) {
            case 0 -> "natsoak." + strings.randomString(1 + random.nextInt(20));
            case 1 -> "natsoak.nats.urls[" + random.nextInt(3) + "]";
            case 2 -> "natsoak..partitions";
            case 3 -> "natsoak.partitions.count." + strings.randomString(3);
            case 4 -> "natsoak";
            default -> strings.randomString(1 + random.nextInt(10));
        };
    }

    /** Mostly a plausible value for the setting's type, often a broken one. */
    private String valueFor(SettingCatalog.Setting s) {
        if (random.nextInt(4) == 0) {
            return strings.randomString(random.nextInt(random.nextInt(50) == 0 ? 5000 : 30));
        }
        String allowed = s.allowed();
        if (allowed.startsWith("a whole number")) {
            return pick("0", "1", "3", "-1", "-5", "2147483648", "99999999999999999999", "1.5", " 7 ", "0x10", "1_000", "", "+4",
                    Integer.toString(random.nextInt(2000) - 100));
        }
        if (allowed.startsWith("a number")) {
            return pick("0", "1.5", "-2", "NaN", "Infinity", "-Infinity", "1e309", "1e-400", "0x1p3", "", "1,5", Double.toString(random.nextDouble() * 50));
        }
        if (allowed.startsWith("a duration")) {
            return pick("5s", "0", "0s", "-1s", "500ms", "PT5S", "5", "5x", "999999999999999h", "1.5s", "", " 2m ", "P1D", random.nextInt(100) + "ms");
        }
        if (allowed.startsWith("true or false")) {
            return pick("true", "false", "TRUE", "ture", "1", "yes", "", " true ");
        }
        if (allowed.startsWith("one of ")) {
            String[] options = allowed.substring("one of ".length()).split(", ");
            return random.nextBoolean() ? options[random.nextInt(options.length)] : pick("", "LOCAL", "other", "worker,producer");
        }
        if (allowed.startsWith("a comma-separated list")) {
            return pick("nats://127.0.0.1:4222", "nats://a:1,nats://b:2", ",", "nats://a:1,,x", "http://x", "tls://h:1", "nats://", "-Xmx1g,-Dx=y",
                    "chaos", "chaos,Chaos", "");
        }
        if (s.key().endsWith("file") || s.key().endsWith("store")) {
            return pick("/", "/nonexistent/file", "/etc/hostname", "/proc/self/status", "/dev/null", ".", "", "\u0000", "a\nb", "/etc/passwd");
        }
        return strings.randomString(random.nextInt(40));
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    /** What the fuzzing found, kept as plain cases: each was a framework message, a stack trace or an overflow. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}={1}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "natsoak.partitions.count||natsoak.partitions.count: empty; allowed: a whole number",
            "natsoak.nats.urls|,|natsoak.nats.urls: \",\" is not valid; allowed: a comma-separated list of text",
            "natsoak.worker.processing-delay-min|999999999999999h|natsoak.worker.processing-delay-min: 999999999999999h is too long; allowed: at most 365 days (8760h)",
            "natsoak|x|natsoak: unknown setting; see './natsoak settings' for the known ones",
            "natsoak.nats.creds-file|/nonexistent/x.creds|natsoak.nats.creds-file: \"/nonexistent/x.creds\" is not a readable file; allowed: a readable NATS credentials file with a user JWT and an NKey user seed",
    })
    void foundByFuzzing(String key, String value, String expected) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put(key, value == null ? "" : value);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NatsSecurity.checkFiles(ConfigLoader.fromMap(values).nats()))
                .isInstanceOf(ConfigException.class).hasMessage(expected);
    }

    @Test
    void lineBreaksInValuesAreRefusedWithTheKeyNamed() {
        for (String value : List.of("a\\\nb", "chaos\\\u2028", "x\ry", "\u0000")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.fromMap(Map.of("natsoak.control.allowed-senders", value)))
                    .hasMessage("natsoak.control.allowed-senders: contains a line break or another control character; allowed: printable text");
        }
    }

    @Test
    void theFuzzedKeysAreTheRealOnes() {
        // Guard against a generator that silently tests nothing: it draws from the live catalogue.
        assertThat(new TreeMap<>(SettingCatalog.all())).containsKeys("natsoak.nats.nkey-file", "natsoak.nats.tls.keystore",
                "natsoak.control.allowed-senders", "natsoak.partitions.count");
    }
}

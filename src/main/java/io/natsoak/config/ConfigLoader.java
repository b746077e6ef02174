package io.natsoak.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads and checks {@link NatsoakConfig}. Precedence, highest first: command-line options,
 * system properties, environment variables, the chosen preset, the built-in defaults.
 * Unknown {@code natsoak.*} keys are errors (a typo must not silently change nothing).
 * Every failure is a {@link ConfigException} carrying one line for the user.
 */
public final class ConfigLoader {

    private static final int CLI_ORDINAL = 500;
    private static final int PRESET_ORDINAL = 200;
    private static final Pattern CONVERSION = Pattern.compile(
            "The config property (\\S+) with the config value \"(.*?)\" threw an Exception", Pattern.DOTALL);
    private static final Pattern UNKNOWN = Pattern.compile("(natsoak\\.\\S+) in .* does not map to any root", Pattern.DOTALL);
    private static final Pattern CODE = Pattern.compile("^SRCFG\\d+: ");

    private ConfigLoader() {
    }

    /** Loads from system properties, the environment and the given command-line options. */
    public static NatsoakConfig load(Map<String, String> commandLine) {
        return build(commandLine, true);
    }

    /** Loads from the given values only (tests, embedded use): no system properties, no environment. */
    public static NatsoakConfig fromMap(Map<String, String> values) {
        return build(values, false);
    }

    private static NatsoakConfig build(Map<String, String> values, boolean withSystem) {
        if (withSystem) {
            EnvironmentCheck.problem(System.getenv()).ifPresent(problem -> {
                throw new ConfigException(problem);
            });
        }
        Optional<String> preset = baseBuilder(values, withSystem).build()
                .getOptionalValue("natsoak.preset", String.class)
                .filter(p -> !p.isBlank());
        SmallRyeConfigBuilder builder = baseBuilder(values, withSystem)
                .withMapping(NatsoakConfig.class)
                .withValidateUnknown(true);
        preset.ifPresent(name -> builder.withSources(new PropertiesConfigSource(Presets.load(name), "preset " + name, PRESET_ORDINAL)));
        NatsoakConfig config;
        try {
            SmallRyeConfig smallRye = builder.build();
            config = smallRye.getConfigMapping(NatsoakConfig.class);
        } catch (ConfigValidationException e) {
            throw new ConfigException(describe(e));
        } catch (IllegalArgumentException | NoSuchElementException e) {
            throw new ConfigException("invalid configuration: " + clean(e.getMessage()));
        }
        List<String> problems = ConfigValidator.problems(config);
        if (!problems.isEmpty()) {
            String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problem(s))" : "";
            throw new ConfigException(problems.get(0) + more);
        }
        return config;
    }

    private static SmallRyeConfigBuilder baseBuilder(Map<String, String> values, boolean withSystem) {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(Boolean.class, 200, ConfigLoader::strictBoolean)
                .withSources(new PropertiesConfigSource(values, "command line", CLI_ORDINAL));
        if (withSystem) {
            builder.addDefaultSources();
        }
        return builder;
    }

    /** SmallRye reads any word but "true" as false; a typo such as "ture" must not silently mean false. */
    private static Boolean strictBoolean(String value) {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("true")) {
            return Boolean.TRUE;
        }
        if (v.equals("false")) {
            return Boolean.FALSE;
        }
        throw new IllegalArgumentException("Expected true or false, got \"" + value + "\"");
    }

    private static String describe(ConfigValidationException e) {
        String first = oneProblem(e.getProblem(0).getMessage());
        int more = e.getProblemCount() - 1;
        return more > 0 ? first + " (and " + more + " more problem(s))" : first;
    }

    static String oneProblem(String message) {
        String text = clean(message);
        Matcher conversion = CONVERSION.matcher(text);
        if (conversion.find()) {
            String key = conversion.group(1);
            String allowed = SettingCatalog.find(key).map(SettingCatalog.Setting::allowed).orElse("a valid value");
            return key + ": \"" + conversion.group(2) + "\" is not valid; allowed: " + allowed;
        }
        Matcher unknown = UNKNOWN.matcher(text);
        if (unknown.find()) {
            return unknown.group(1) + ": unknown setting; see './natsoak settings' for the known ones";
        }
        return "invalid configuration: " + text;
    }

    private static String clean(String message) {
        if (message == null) {
            return "unknown problem";
        }
        return CODE.matcher(message.strip()).replaceFirst("").replace('\n', ' ');
    }
}

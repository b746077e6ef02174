package io.natsoak.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The named presets shipped in {@code src/main/resources/presets}. */
public final class Presets {

    /** In the order the help text lists them. */
    public static final List<String> NAMES = List.of("quick", "chaos-test", "leak-hunt", "dev", "realistic", "stress", "extreme");

    private Presets() {
    }

    /** The settings of a preset; a {@link ConfigException} for a name that is not one. */
    public static Map<String, String> load(String name) {
        if (!NAMES.contains(name)) {
            throw new ConfigException("natsoak.preset: \"" + name + "\" is not a preset; allowed: " + String.join(", ", NAMES));
        }
        try (InputStream in = Presets.class.getResourceAsStream("/presets/" + name + ".properties")) {
            if (in == null) {
                throw new IllegalStateException("preset " + name + " is missing from the application");
            }
            Properties props = new Properties();
            props.load(in);
            Map<String, String> values = new HashMap<>();
            props.stringPropertyNames().forEach(key -> values.put(key, props.getProperty(key)));
            return values;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

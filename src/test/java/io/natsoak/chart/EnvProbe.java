package io.natsoak.chart;

import io.natsoak.app.Identity;
import io.natsoak.config.ConfigException;
import io.natsoak.config.ConfigLoader;
import io.natsoak.config.NatsoakConfig;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.util.Locale;
import java.util.Map;

/**
 * Run by {@link RenderedEnvironmentTest} in a JVM whose environment is exactly a rendered
 * container's: loads natsoak's configuration the way a role process does (ConfigLoader, Identity)
 * and prints the raw value each given setting key resolves to from that environment.
 */
public final class EnvProbe {

    private EnvProbe() {
    }

    public static void main(String[] keys) {
        try {
            NatsoakConfig config = ConfigLoader.load(Map.of());
            Identity id = Identity.of(config);
            System.out.println("identity=" + id.role().name().toLowerCase(Locale.ROOT) + " " + id.instance() + " " + id.index());
        } catch (ConfigException e) {
            System.out.println("natsoak: " + e.getMessage());
            System.exit(2);
        }
        SmallRyeConfig raw = new SmallRyeConfigBuilder().addDefaultSources().build();
        for (String key : keys) {
            System.out.println(key + "=" + raw.getRawValue(key));
        }
    }
}

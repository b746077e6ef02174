package io.natsoak.app;

import io.natsoak.config.ConfigException;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.config.Role;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Who this process is: its instance name and, for producers and workers, its index. */
public record Identity(Role role, String instance, int index) {

    private static final Pattern TRAILING_NUMBER = Pattern.compile(".*?-(\\d+)$");

    public static Identity of(NatsoakConfig config) {
        Role role = config.role();
        String roleName = role.name().toLowerCase(Locale.ROOT);
        Optional<String> named = config.instance().or(() -> Optional.ofNullable(System.getenv("HOSTNAME")));
        int index = switch (role) {
            case PRODUCER -> index(config.producer().index(), config.producer().count(), named, "natsoak.producer.index");
            // Managed workers get their ids from the partition manager; only static needs an index.
            case WORKER -> config.worker().assignment().managed() && config.worker().index() < 0 ? -1
                    : index(config.worker().index(), config.worker().count(), named, "natsoak.worker.index");
            default -> 0;
        };
        String instance = config.instance().orElse((role == Role.PRODUCER || role == Role.WORKER) && index >= 0 ? roleName + "-" + index
                : named.orElse(roleName));
        return new Identity(role, instance, index);
    }

    private static int index(int configured, int count, Optional<String> name, String key) {
        if (configured >= 0) {
            return configured;
        }
        Matcher m = name.map(TRAILING_NUMBER::matcher).filter(Matcher::matches).orElse(null);
        if (m == null) {
            throw new ConfigException(key + ": not set and the instance name " + name.orElse("(none)")
                    + " has no trailing number; allowed: 0 to " + (count - 1));
        }
        int index = Integer.parseInt(m.group(1));
        if (index >= count) {
            throw new ConfigException(key + ": " + index + " (from the instance name) is not valid; allowed: 0 to " + (count - 1));
        }
        return index;
    }
}

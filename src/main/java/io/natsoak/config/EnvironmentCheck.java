package io.natsoak.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Unknown {@code NATSOAK_*} environment variables are errors, as unknown {@code natsoak.*}
 * properties are: SmallRye maps an environment variable to a property only when the property is
 * asked for, so a misspelt {@code NATSOAK_PARTITONS_COUNT} in a pod spec would otherwise change
 * nothing, silently, for the whole soak.
 */
final class EnvironmentCheck {

    static final String PREFIX = "NATSOAK_";

    /** Variables of the {@code natsoak} script itself (JVM options for the launcher), not settings. */
    static final Set<String> SCRIPT_VARIABLES = Set.of("NATSOAK_JAVA_OPTS");

    /** Every setting's key in environment form (natsoak.worker.heartbeat-ttl -> NATSOAK_WORKER_HEARTBEAT_TTL). */
    private static final Set<String> KNOWN = SettingCatalog.all().keySet().stream()
            .map(EnvironmentCheck::toEnv)
            .collect(Collectors.toUnmodifiableSet());

    private EnvironmentCheck() {
    }

    static String toEnv(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** The first unknown {@code NATSOAK_*} variable, as one line for the user. */
    static Optional<String> problem(Map<String, String> environment) {
        return environment.keySet().stream()
                .filter(name -> name.startsWith(PREFIX) && !KNOWN.contains(name) && !SCRIPT_VARIABLES.contains(name))
                .sorted()
                .findFirst()
                .map(name -> "unknown environment variable " + name + ": no natsoak setting has that name "
                        + "(settings in environment form are NATSOAK_ plus the key in upper case with '_' for '.' and '-'; "
                        + "./natsoak settings lists every key)");
    }
}

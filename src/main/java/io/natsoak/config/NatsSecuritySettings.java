package io.natsoak.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The NATS authentication and TLS settings checked as combinations, without reading a file. Kept
 * apart from {@code io.natsoak.nats.NatsSecurity} (which reads the files and applies them to a
 * connection) so that validating the configuration depends on no other natsoak package.
 */
public final class NatsSecuritySettings {

    public static final String TLS = "natsoak.nats.tls";
    public static final String TRUSTSTORE = TLS + ".truststore";
    public static final String KEYSTORE = TLS + ".keystore";

    private NatsSecuritySettings() {
    }

    /**
     * Problems of the settings themselves (combinations), one line each; reads no file, so the
     * configuration can be checked where the files are not (a chart test, a laptop).
     */
    public static List<String> problems(NatsConfig nats) {
        List<String> p = new ArrayList<>();
        if (nats.password().isPresent() && nats.username().isEmpty()) {
            p.add("natsoak.nats.password: set without natsoak.nats.username; allowed: both or neither");
        }
        List<String> methods = new ArrayList<>();
        nats.username().ifPresent(v -> methods.add("username"));
        nats.token().ifPresent(v -> methods.add("token"));
        nats.nkeyFile().ifPresent(v -> methods.add("nkey-file"));
        nats.credsFile().ifPresent(v -> methods.add("creds-file"));
        if (methods.size() > 1) {
            p.add("natsoak.nats: " + String.join(" and ", methods) + " are all set; allowed: at most one authentication method"
                    + " (username/password, token, nkey-file or creds-file)");
        }
        tlsProblems(nats.tls(), p);
        return p;
    }

    private static void tlsProblems(TlsConfig tls, List<String> p) {
        if (!tls.enabled()) {
            for (var setting : List.of(entry(TRUSTSTORE, tls.truststore()), entry(TRUSTSTORE + "-password", tls.truststorePassword()),
                    entry(KEYSTORE, tls.keystore()), entry(KEYSTORE + "-password", tls.keystorePassword()))) {
                if (setting.getValue().isPresent()) {
                    p.add(setting.getKey() + ": set while " + TLS + ".enabled is false; allowed: set " + TLS
                            + ".enabled=true, or remove it");
                    return;
                }
            }
            return;
        }
        if (tls.truststorePassword().isPresent() && tls.truststore().isEmpty()) {
            p.add(TRUSTSTORE + "-password: set without " + TRUSTSTORE + "; allowed: both, or the store alone");
            return;
        }
        if (tls.keystorePassword().isPresent() && tls.keystore().isEmpty()) {
            p.add(KEYSTORE + "-password: set without " + KEYSTORE + "; allowed: both or neither");
            return;
        }
        if (tls.keystore().isPresent() && tls.keystorePassword().isEmpty()) {
            p.add(KEYSTORE + ": set without " + KEYSTORE + "-password; allowed: both or neither (the password protects the client key)");
        }
    }

    private static java.util.Map.Entry<String, Optional<String>> entry(String key, Optional<String> value) {
        return java.util.Map.entry(key, value);
    }
}

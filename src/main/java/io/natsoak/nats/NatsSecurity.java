package io.natsoak.nats;

import io.nats.client.AuthHandler;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.natsoak.config.ConfigException;
import io.natsoak.config.NatsConfig;
import io.natsoak.config.NatsSecuritySettings;
import io.natsoak.config.TlsConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * NATS authentication and TLS from configuration: at most one authentication method
 * (user/password, token, NKey seed file, credentials file), and TLS with an optional trust store
 * (the servers' CA) and key store (the client certificate, for mutual TLS).
 * <p>
 * {@link NatsSecuritySettings#problems} checks the combinations with the rest of the configuration; {@link #checkFiles}
 * reads every file the settings name before a role starts, so a missing or unreadable file, a
 * wrong store password or a file of the wrong kind stops the process with one line before
 * anything connects. {@link #apply} reads them again for every connection a component opens, so
 * a rotated certificate or credential applies at the next restart.
 */
public final class NatsSecurity {

    private static final String NKEY = "natsoak.nats.nkey-file";
    private static final String CREDS = "natsoak.nats.creds-file";
    private static final String TLS = NatsSecuritySettings.TLS;
    private static final String TRUSTSTORE = NatsSecuritySettings.TRUSTSTORE;
    private static final String KEYSTORE = NatsSecuritySettings.KEYSTORE;
    private static final Pattern SEED = Pattern.compile("\\bSU[A-Z2-7]{50,}\\b");
    private static final Pattern USER_JWT = Pattern.compile("-----BEGIN NATS USER JWT-----\\s*([A-Za-z0-9_.=-]+)\\s*-+END NATS USER JWT-+");
    private static final long MAX_FILE_BYTES = 1024 * 1024;

    private NatsSecurity() {
    }

    /** A setting that cannot be used, already phrased as the one line a user sees. */
    private static final class Unusable extends Exception {
        Unusable(String oneLine) {
            super(oneLine, null, false, false);
        }
    }

    /**
     * Reads every file the settings name (seed, credentials, stores with their passwords), as a
     * connection will: a missing or unreadable file, a wrong password or a file of the wrong kind
     * is one line. {@code Main} calls it before a role starts, so such a mistake costs exit code 2.
     *
     * @throws ConfigException the first problem
     */
    public static void checkFiles(NatsConfig nats) {
        try {
            if (nats.nkeyFile().isPresent()) {
                nkeySeed(nats.nkeyFile().get());
            }
            if (nats.credsFile().isPresent()) {
                checkCreds(nats.credsFile().get());
            }
            if (nats.tls().enabled()) {
                sslContext(nats.tls());
            }
        } catch (Unusable e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /**
     * Applies the authentication method and TLS to a connection's options.
     *
     * @throws ConfigException (one line) when a file the settings name can no longer be used
     */
    static void apply(NatsConfig nats, Options.Builder b) {
        try {
            nats.username().ifPresent(user -> b.userInfo(user, nats.password().orElse("")));
            nats.token().ifPresent(token -> b.token(token.toCharArray()));
            if (nats.nkeyFile().isPresent()) {
                b.authHandler(nkeyHandler(nkeySeed(nats.nkeyFile().get())));
            }
            if (nats.credsFile().isPresent()) {
                checkCreds(nats.credsFile().get());
                // jnats reads the file again on every (re)connect.
                b.authHandler(Nats.credentials(nats.credsFile().get()));
            }
            if (nats.tls().enabled()) {
                b.sslContext(sslContext(nats.tls()));
            }
        } catch (Unusable e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** NKey authentication without a JWT: the server knows the user by its public key and checks the nonce's signature. */
    private static AuthHandler nkeyHandler(char[] seed) {
        return Nats.staticCredentials(null, seed);
    }

    private static char[] nkeySeed(String file) throws Unusable {
        String allowed = "; allowed: a readable file holding an NKey user seed (SU...)";
        String text = read(NKEY, file, allowed);
        Matcher m = SEED.matcher(text);
        if (!m.find()) {
            throw new Unusable(NKEY + ": \"" + file + "\" holds no NKey user seed" + allowed);
        }
        char[] seed = m.group().toCharArray();
        try {
            NKey key = NKey.fromSeed(seed);
            if (key.getType() != NKey.Type.USER) {
                throw new Unusable(NKEY + ": \"" + file + "\" holds a " + key.getType() + " seed, not a user seed" + allowed);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new Unusable(NKEY + ": \"" + file + "\" holds no valid NKey seed (" + oneLine(e) + ")" + allowed);
        }
        return seed;
    }

    private static void checkCreds(String file) throws Unusable {
        String allowed = "; allowed: a readable NATS credentials file with a user JWT and an NKey user seed";
        String text = read(CREDS, file, allowed);
        if (!USER_JWT.matcher(text).find()) {
            throw new Unusable(CREDS + ": \"" + file + "\" holds no user JWT" + allowed);
        }
        Matcher seed = SEED.matcher(text);
        if (!seed.find()) {
            throw new Unusable(CREDS + ": \"" + file + "\" holds no NKey user seed" + allowed);
        }
        try {
            NKey.fromSeed(seed.group().toCharArray());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new Unusable(CREDS + ": \"" + file + "\" holds no valid NKey seed (" + oneLine(e) + ")" + allowed);
        }
    }

    /** A context trusting the configured CA (or the JVM's defaults) and presenting the client certificate, if one is set. */
    static SSLContext sslContext(TlsConfig tls) throws Unusable {
        try {
            KeyManager[] keyManagers = null;
            if (tls.keystore().isPresent()) {
                char[] password = tls.keystorePassword().map(String::toCharArray).orElse(null);
                KeyStore keys = store(KEYSTORE, tls.keystore().get(), password);
                if (!hasKey(keys)) {
                    throw new Unusable(KEYSTORE + ": \"" + tls.keystore().get() + "\" holds no private key"
                            + "; allowed: a PKCS12 or JKS store with the client's key and certificate chain");
                }
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                try {
                    kmf.init(keys, password);
                } catch (GeneralSecurityException e) {
                    throw new Unusable(KEYSTORE + ": the key in \"" + tls.keystore().get() + "\" cannot be read with "
                            + KEYSTORE + "-password (" + oneLine(e) + "); allowed: a store whose key has the store's password");
                }
                keyManagers = kmf.getKeyManagers();
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (tls.truststore().isPresent()) {
                KeyStore trust = store(TRUSTSTORE, tls.truststore().get(), tls.truststorePassword().map(String::toCharArray).orElse(null));
                if (!hasCertificate(trust)) {
                    throw new Unusable(TRUSTSTORE + ": \"" + tls.truststore().get() + "\" holds no certificate"
                            + "; allowed: a PKCS12 or JKS store with the CA that signed the servers' certificates");
                }
                tmf.init(trust);
            } else {
                tmf.init((KeyStore) null);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new Unusable(TLS + ": TLS cannot be set up in this JVM (" + oneLine(e) + ")");
        }
    }

    private static KeyStore store(String key, String file, char[] password) throws Unusable {
        String allowed = "; allowed: a readable PKCS12 or JKS file, with " + key + "-password if it has one";
        Path path = readableFile(key, file, allowed);
        try {
            return KeyStore.getInstance(path.toFile(), password);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new Unusable(key + ": \"" + file + "\" cannot be read as a key store (" + storeError(e) + ")" + allowed);
        }
    }

    private static boolean hasKey(KeyStore store) throws GeneralSecurityException {
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasCertificate(KeyStore store) throws GeneralSecurityException {
        for (String alias : Collections.list(store.aliases())) {
            if (store.getCertificate(alias) != null) {
                return true;
            }
        }
        return false;
    }

    private static Path readableFile(String key, String file, String allowed) throws Unusable {
        try {
            Path path = Path.of(file);
            if (Files.isRegularFile(path) && Files.isReadable(path)) {
                return path;
            }
        } catch (RuntimeException e) {
            // an invalid path (a NUL character, for instance) is just not a readable file
        }
        throw new Unusable(key + ": \"" + file + "\" is not a readable file" + allowed);
    }

    private static String read(String key, String file, String allowed) throws Unusable {
        Path path = readableFile(key, file, allowed);
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw new Unusable(key + ": \"" + file + "\" is larger than 1 MiB" + allowed);
            }
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new Unusable(key + ": \"" + file + "\" cannot be read (" + oneLine(e) + ")" + allowed);
        }
    }

    /** A wrong password shows up as several different exceptions, depending on the store's format and what is encrypted. */
    private static String storeError(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.security.UnrecoverableKeyException || t instanceof javax.crypto.BadPaddingException
                    || String.valueOf(t.getMessage()).contains("password was incorrect")) {
                return "wrong password";
            }
        }
        return oneLine(e);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String line = m.lines().findFirst().orElse("").strip();
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }
}

package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.util.Optional;

/** TLS to the NATS servers ({@code natsoak.nats.tls}). */
public interface TlsConfig {
    /** Use TLS; with no trust store the JVM's default trust applies. The other TLS settings need it. */
    @WithDefault("false")
    boolean enabled();

    /** A trust store (PKCS12 or JKS) holding the CA that signed the servers' certificates. */
    Optional<String> truststore();

    /** Password of the trust store, if it has one. */
    Optional<String> truststorePassword();

    /** A key store (PKCS12 or JKS) with the client's key and certificate chain, for mutual TLS. */
    Optional<String> keystore();

    /** Password of the key store and of the key in it (required with a key store). */
    Optional<String> keystorePassword();
}

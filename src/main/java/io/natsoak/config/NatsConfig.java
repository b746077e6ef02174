package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The NATS connection and the streams and buckets natsoak creates ({@code natsoak.nats}). */
public interface NatsConfig {
    /** Server URLs, comma separated. */
    @WithDefault("nats://127.0.0.1:4222")
    List<String> urls();

    /** User name for user/password authentication (one authentication method at most). */
    Optional<String> username();

    /** Password of {@code username}. */
    Optional<String> password();

    /** A token, for servers configured with {@code authorization { token }}. */
    Optional<String> token();

    /** A file holding an NKey user seed (SU...), for servers that list the user's public NKey. */
    Optional<String> nkeyFile();

    /** A NATS credentials file (user JWT + NKey seed), for servers in operator (JWT) mode. */
    Optional<String> credsFile();

    TlsConfig tls();

    /** Replicas of every stream and bucket natsoak creates (1, 3 or 5 in a cluster). */
    @WithDefault("3")
    int replicas();

    @WithDefault("file")
    StorageType storage();

    /** Data older than this is removed by the server; unconsumed removed data is a loss the verifier reports. */
    @WithDefault("1h")
    Duration dataMaxAge();

    /** Size cap of the data stream in bytes (-1: none). */
    @WithDefault("-1")
    long dataMaxBytes();

    /** How long a request (PubAck, API call) may take before it is retried. */
    @WithDefault("5s")
    Duration requestTimeout();
}

package io.natsoak.config;

/** A configuration problem, already phrased as the one line a user sees. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String oneLine) {
        super(oneLine, null, false, false);
    }
}

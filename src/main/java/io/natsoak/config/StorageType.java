package io.natsoak.config;

/** JetStream storage of the streams natsoak creates. */
public enum StorageType {
    FILE,
    MEMORY
}

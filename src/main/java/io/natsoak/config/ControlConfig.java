package io.natsoak.config;

import io.smallrye.config.WithDefault;

import java.util.List;

/** The control plane every role process answers on (docs/reliability.md): settings under {@code natsoak.control}. */
public interface ControlConfig {
    /** Answer commands on the control subjects (status, restart, stop, start, disconnect, threaddump, gc, leak). */
    @WithDefault("true")
    boolean enabled();

    /** Allow the leak canary: deliberately leaking threads and memory to prove the alerts fire. Off unless set. */
    @WithDefault("false")
    boolean leakCanary();

    /**
     * With the leak canary allowed: threads to leak at every in-place restart or reconnect of a
     * component, named as that component's own (the incident's shape). 0 = never.
     */
    @WithDefault("0")
    int leakThreadsPerRestart();

    /** Largest control message accepted; larger ones get an error reply. */
    @WithDefault("65536")
    int maxMessageBytes();

    /**
     * Sender roles whose requests are carried out: the role part of a request's
     * {@code Natsoak-Sender: <role>/<instance>} header. Other requests get an error reply. This
     * identifies senders; NATS permissions are what stop others publishing (docs/reliability.md).
     */
    @WithDefault("chaos")
    List<String> allowedSenders();
}

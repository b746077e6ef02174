package io.natsoak.local;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;

/**
 * Waits, bounded, until a node that was just launched answers: its HTTP health endpoint, then
 * JetStream through a client of its own. A node that exits meanwhile fails at once, with its
 * log's tail in the message; on a first start an "address already in use" there is a
 * {@link PortConflictException}, which the cluster retries with new ports.
 */
final class NatsNodeReadiness {

    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    /** One probe's connect and read time. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final long POLL_INTERVAL_MS = 100;

    private NatsNodeReadiness() {
    }

    /** A node died on startup because one of its ports was taken; the initial start retries with new ports. */
    static final class PortConflictException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortConflictException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Until {@code /healthz?js-enabled-only=true} answers 200, by {@code deadlineNanos} ({@link System#nanoTime()}).
     *
     * @param firstStart the cluster's first start: a port conflict is retried there, never on a restart
     */
    static void awaitHttpHealthy(NatsNode n, long deadlineNanos, boolean firstStart) {
        awaitHealthz(n, "/healthz?js-enabled-only=true", deadlineNanos, STARTUP_TIMEOUT, firstStart);
    }

    /** Until the node's health endpoint {@code path} answers 200. */
    static void awaitHealthz(NatsNode n, String path, long deadlineNanos, Duration timeout, boolean firstStart) {
        String url = n.httpUrl(path);
        String last = "no answer yet";
        while (true) {
            checkAlive(n, firstStart);
            try {
                int code = HttpGet.get(url, PROBE_TIMEOUT, PROBE_TIMEOUT).code();
                if (code == 200) {
                    return;
                }
                last = "HTTP " + code;
            } catch (IOException e) {
                last = OneLine.of(e);
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                throw failure(n, "did not become healthy (" + url + ": " + last + ") within " + timeout.toSeconds() + " s");
            }
            sleep(POLL_INTERVAL_MS);
        }
    }

    /** Until a client connected to this node alone gets JetStream account info. */
    static void awaitJetStream(NatsNode n, long deadlineNanos, boolean firstStart) {
        String url = n.clientUrl();
        String last = "no answer yet";
        while (true) {
            checkAlive(n, firstStart);
            try {
                jetStreamAccountInfo(url);
                return;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for NATS node " + n.name());
                }
                last = OneLine.of(e);
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                throw failure(n, "JetStream account info via " + url + " not available within "
                        + STARTUP_TIMEOUT.toSeconds() + " s (last: " + last + ")");
            }
            sleep(2 * POLL_INTERVAL_MS);
        }
    }

    private static void jetStreamAccountInfo(String url) throws Exception {
        Options options = Options.builder()
                .server(url)
                .noReconnect()
                .connectionTimeout(PROBE_TIMEOUT)
                .errorListener(new ErrorListener() { })
                .build();
        try (Connection nc = Nats.connect(options)) {
            JetStreamManagement jsm = nc.jetStreamManagement(JetStreamOptions.builder().requestTimeout(PROBE_TIMEOUT).build());
            jsm.getAccountStatistics();
        }
    }

    private static void checkAlive(NatsNode n, boolean firstStart) {
        Process p = n.process;
        if (p != null && !p.isAlive()) {
            String tail = LogTail.of(n.log);
            String msg = "NATS node " + n.name() + " exited with code " + p.exitValue() + " during startup; "
                    + "log " + n.log + " tail: " + tail;
            if (firstStart && tail.toLowerCase(Locale.ROOT).contains("address already in use")) {
                throw new PortConflictException(msg);
            }
            throw new IllegalStateException(msg);
        }
    }

    private static IllegalStateException failure(NatsNode n, String what) {
        return new IllegalStateException("NATS node " + n.name() + " " + what + "; log " + n.log + " tail: " + LogTail.of(n.log));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for NATS cluster");
        }
    }
}

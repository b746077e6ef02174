package io.natsoak.control;

import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends control requests as one sender (the chaos operator, a test): every request carries the
 * {@value ControlSender#HEADER} header, and "no responders" is retried for a few seconds, because
 * a subscription made on one cluster node reaches the others asynchronously (a component that
 * has just started may not be reachable everywhere yet). The connection is the caller's; its
 * NATS identity is what the server's permissions check.
 */
public final class ControlClient {

    /** How long "no responders" is retried before the request fails. */
    public static final Duration NO_RESPONDERS_PATIENCE = Duration.ofSeconds(10);
    private static final long RETRY_MILLIS = 50;

    private final Connection connection;
    private final ControlSender sender;

    public ControlClient(Connection connection, ControlSender sender) {
        this.connection = connection;
        this.sender = sender;
    }

    /** A request nobody answered: no responders for {@link #NO_RESPONDERS_PATIENCE}, or no reply within the timeout. */
    public static final class NoReplyException extends Exception {
        NoReplyException(String message) {
            super(message, null, false, false);
        }
    }

    /** Sends a command and reads the reply. */
    public ControlReply request(String subject, ControlCommand command, Duration timeout) throws NoReplyException, InterruptedException {
        byte[] reply = request(subject, Json.write(command), timeout);
        try {
            return Json.MAPPER.readValue(reply, ControlReply.class);
        } catch (java.io.IOException e) {
            throw new MalformedMessageException("not a control reply from " + subject + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Sends raw bytes (tests send hostile ones) and returns the reply's bytes. */
    public byte[] request(String subject, byte[] body, Duration timeout) throws NoReplyException, InterruptedException {
        long deadline = System.nanoTime() + NO_RESPONDERS_PATIENCE.toNanos();
        while (true) {
            Headers headers = new Headers().put(ControlSender.HEADER, sender.wire());
            Message request = NatsMessage.builder().subject(subject).headers(headers).data(body).build();
            // jnats' own timeout is longer than ours, so our get() decides timeouts and jnats' cancellation means "no responders".
            CompletableFuture<Message> future = connection.requestWithTimeout(request, timeout.plusSeconds(5));
            try {
                return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS).getData();
            } catch (TimeoutException e) {
                future.cancel(true);
                throw new NoReplyException("no reply from " + subject + " within " + timeout.toMillis() + " ms");
            } catch (CancellationException | ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw new NoReplyException("no responders on " + subject + " for " + NO_RESPONDERS_PATIENCE.toSeconds() + " s");
                }
                Thread.sleep(RETRY_MILLIS);
            }
        }
    }
}

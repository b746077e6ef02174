package io.natsoak.control;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends control requests (docs/architecture.md, "Control protocol") as one sender (the chaos
 * operator, a test): every request carries the {@value ControlSender#HEADER} header, and "no
 * responders" is retried for a while ({@link NoResponders}), because a subscription made on one
 * cluster node reaches the others asynchronously (a component that has just started or
 * restarted may not be reachable everywhere yet). The connection is the caller's; its NATS
 * identity is what the server's permissions check.
 */
public final class ControlClient {

    /**
     * How "no responders" is retried: for {@code patience}, with {@code pause} between tries.
     * Each sender picks its own: a test waits for a component that has just started, the chaos
     * operator gives up sooner so that a target that is gone costs its schedule little.
     */
    public record NoResponders(Duration patience, Duration pause) {

        /** For a component that has just started: 10 s, every 50 ms. */
        public static final NoResponders PATIENT = new NoResponders(Duration.ofSeconds(10), Duration.ofMillis(50));
    }

    private final Connection connection;
    private final ControlSender sender;
    private final NoResponders retry;

    /** A client that retries "no responders" {@link NoResponders#PATIENT patiently}. */
    public ControlClient(Connection connection, ControlSender sender) {
        this(connection, sender, NoResponders.PATIENT);
    }

    public ControlClient(Connection connection, ControlSender sender, NoResponders retry) {
        this.connection = connection;
        this.sender = sender;
        this.retry = retry;
    }

    /** A request nobody answered: no responders for the retry's patience, or no reply within the timeout. */
    public static final class NoReplyException extends Exception {
        NoReplyException(String message) {
            super(message, null, false, false);
        }
    }

    /** Sends a command and reads the reply, whatever it says. */
    public ControlReply request(String subject, ControlCommand command, Duration timeout) throws NoReplyException, InterruptedException {
        byte[] reply = request(subject, Json.write(command), timeout);
        try {
            return Json.MAPPER.readValue(reply, ControlReply.class);
        } catch (java.io.IOException e) {
            throw new MalformedMessageException("not a control reply from " + subject + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /**
     * Sends a command that must be carried out: a reply that says no is an
     * {@link IllegalStateException} naming the refusal.
     */
    public ControlReply command(String subject, ControlCommand command, Duration timeout) throws NoReplyException, InterruptedException {
        ControlReply reply = request(subject, command, timeout);
        if (!reply.ok()) {
            throw new IllegalStateException(command.command() + " refused by " + subject + ": " + reply.error());
        }
        return reply;
    }

    /** Sends raw bytes (tests send hostile ones) and returns the reply's bytes. */
    public byte[] request(String subject, byte[] body, Duration timeout) throws NoReplyException, InterruptedException {
        long deadline = System.nanoTime() + retry.patience().toNanos();
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
                    throw new NoReplyException("no responders on " + subject + " for " + retry.patience().toSeconds() + " s");
                }
                Thread.sleep(retry.pause().toMillis());
            }
        }
    }
}

package io.natsoak.chaos;

import io.natsoak.control.ControlCommand;
import io.natsoak.control.ControlReply;
import io.natsoak.control.ControlSender;
import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.nats.Names;
import io.nats.client.Connection;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends control commands (docs/architecture.md, "Control protocol") to one instance of a role
 * and waits for its reply. "No responders" is retried for a moment: a control subscription made
 * on one cluster node reaches the others asynchronously, and a process that just restarted
 * subscribes a little after it is ready.
 */
public final class ControlClient {

    private static final int ATTEMPTS = 5;
    private static final Duration BETWEEN_ATTEMPTS = Duration.ofMillis(500);

    private final Connection connection;
    private final Names names;
    private final Duration timeout;
    private final ControlSender sender;

    /**
     * @param timeout how long one command may take (a worker's in-place restart drains it first)
     * @param sender  who sends: every request names it in its {@value ControlSender#HEADER} header
     */
    public ControlClient(Connection connection, Names names, Duration timeout, ControlSender sender) {
        this.connection = connection;
        this.names = names;
        this.timeout = timeout;
        this.sender = sender;
    }

    /** The reply of {@code role}/{@code instance}; an exception when none came or it said no. */
    public ControlReply send(Target.Kind role, String instance, ControlCommand command) throws Exception {
        String subject = names.controlSubject(role.label(), instance);
        byte[] body = Json.write(command);
        Exception last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                Message request = NatsMessage.builder().subject(subject)
                        .headers(new Headers().put(ControlSender.HEADER, sender.wire())).data(body).build();
                Message reply = connection.request(request).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                ControlReply r = Json.read(reply.getData(), ControlReply.class);
                if (!r.ok()) {
                    throw new IllegalStateException(command.command() + " refused by " + instance + ": " + r.error());
                }
                return r;
            } catch (ExecutionException | CancellationException e) {
                // jnats completes the future exceptionally (or cancels it) on "no responders".
                last = e;
                Thread.sleep(BETWEEN_ATTEMPTS.toMillis());
            } catch (TimeoutException e) {
                throw new IllegalStateException("no reply from " + subject + " within " + timeout.toSeconds() + " s");
            } catch (MalformedMessageException | JetStreamStatusException e) {
                throw new IllegalStateException("unreadable reply from " + subject + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("nobody answers on " + subject + " (" + (last == null ? "?" : last.getMessage()) + ")");
    }

    public static ControlCommand restart() {
        return new ControlCommand("restart", null, null, null, null);
    }

    public static ControlCommand disconnect(int seconds) {
        return new ControlCommand("disconnect", null, seconds, null, null);
    }

    public static ControlCommand leak(int threadsPerMinute) {
        return new ControlCommand("leak", null, null, threadsPerMinute, null);
    }

    public static ControlCommand leakStop() {
        return new ControlCommand("leak-stop", null, null, null, null);
    }
}

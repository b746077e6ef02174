package io.natsoak.nats;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.AuthenticationException;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.natsoak.config.NatsConfig;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.metrics.MetricNames;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A NATS connection together with the executors its jnats threads run on, owned by one
 * component. Every jnats thread of the connection is named {@code <component>-nats...}, so the
 * thread census attributes it, and {@link #close()} releases the connection and then the
 * executors (jnats does not shut down executors it did not create). Connection events are
 * counted as metrics.
 */
public final class OwnedConnection implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OwnedConnection.class);
    private static final Duration RECONNECT_WAIT = Duration.ofMillis(500);
    private static final Duration IDLE_THREAD_KEEP_ALIVE = Duration.ofSeconds(5);

    private final Connection connection;
    private final ExecutorService executor;
    private final ScheduledExecutorService scheduler;

    private final List<NamedThreads> factories;

    private OwnedConnection(Connection connection, ExecutorService executor, ScheduledExecutorService scheduler,
                            List<NamedThreads> factories) {
        this.connection = connection;
        this.executor = executor;
        this.scheduler = scheduler;
        this.factories = factories;
    }

    /**
     * Connects, retrying while no server is reachable yet (pods start in any order) until
     * {@code patience} has passed.
     */
    public static OwnedConnection open(NatsConfig nats, String component, String instance, MeterRegistry registry,
                                       Duration patience) throws IOException, InterruptedException {
        List<NamedThreads> factories = List.of(new NamedThreads(component, "nats"), new NamedThreads(component, "nats-timer"),
                new NamedThreads(component, "nats-connect"), new NamedThreads(component, "nats-callback"));
        // Unbounded like jnats' default (its reader, writer and dispatchers are long-running tasks
        // here), but idle threads go after a few seconds instead of a minute: a failover's burst of
        // reconnect and API work must not look like thread growth at the end of a run.
        ExecutorService executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_THREAD_KEEP_ALIVE.toMillis(),
                TimeUnit.MILLISECONDS, new SynchronousQueue<>(), factories.get(0));
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, factories.get(1));
        scheduler.setRemoveOnCancelPolicy(true);
        String name = instance + "-" + component;
        Options.Builder builder = new Options.Builder(NatsConnections.options(nats, name, events(registry, component),
                () -> registry.counter(MetricNames.NATS_CONNECTION_EVENTS, MetricNames.TAG_EVENT, "slow_consumer",
                        MetricNames.TAG_COMPONENT, component).increment()))
                .executor(executor)
                .scheduledExecutor(scheduler)
                .connectThreadFactory(factories.get(2))
                .callbackThreadFactory(factories.get(3));
        Options options = builder.build();
        long deadline = System.nanoTime() + patience.toNanos();
        try {
            while (true) {
                try {
                    return new OwnedConnection(Nats.connect(options), executor, scheduler, factories);
                } catch (AuthenticationException e) {
                    // The server is up and refused us: waiting will not help, the credentials are wrong.
                    throw new AuthenticationException(name + ": " + nats.urls() + " refused the credentials (" + e.getMessage()
                            + "); check natsoak.nats.username/password, token, nkey-file or creds-file");
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    LOG.warnf("%s: cannot connect to %s yet (%s); retrying", name, nats.urls(), e.getMessage());
                    Thread.sleep(RECONNECT_WAIT.toMillis());
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            shutdown(executor, scheduler, factories);
            throw e;
        }
    }

    private static ConnectionListener events(MeterRegistry registry, String component) {
        return (conn, type) -> registry.counter(MetricNames.NATS_CONNECTION_EVENTS, MetricNames.TAG_EVENT,
                type.name().toLowerCase(Locale.ROOT), MetricNames.TAG_COMPONENT, component).increment();
    }

    public Connection connection() {
        return connection;
    }

    /** Closes the connection, then stops the threads it ran on. Idempotent. */
    @Override
    public void close() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debugf("closing connection: %s", e);
        }
        shutdown(executor, scheduler, factories);
    }

    private static void shutdown(ExecutorService executor, ScheduledExecutorService scheduler, List<NamedThreads> factories) {
        executor.shutdownNow();
        scheduler.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (NamedThreads f : factories) {
            if (!f.awaitExit(Duration.ofSeconds(10))) {
                LOG.warnf("connection threads still alive 10 s after close: %s", f);
            }
        }
    }

    /** Closes {@code link} if there is one: what every component's {@code dropConnection()} does on abort. */
    public static void close(OwnedConnection link) {
        if (link != null) {
            link.close();
        }
    }
}

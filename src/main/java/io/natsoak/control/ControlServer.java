package io.natsoak.control;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.natsoak.config.NatsoakConfig;
import io.natsoak.lifecycle.Component;
import io.natsoak.lifecycle.GuardedComponent;
import io.natsoak.lifecycle.NamedThreads;
import io.natsoak.lifecycle.OwnedExecutor;
import io.natsoak.metrics.MetricNames;
import io.natsoak.metrics.ProcessRss;
import io.natsoak.metrics.ThreadCensus;
import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.nats.Dispatchers;
import io.natsoak.nats.Names;
import io.natsoak.nats.OwnedConnection;
import io.natsoak.nats.Provisioner;
import io.natsoak.resources.RestartLedger;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Answers control commands on {@code natsoak.<run>.control.<role>.<instance>} and the role's
 * broadcast subject. The NATS dispatcher only checks size and sender and hands the request to
 * the {@code control-exec} thread (a bounded queue: when it is full the request is refused with
 * "busy"), so a command never blocks message handling and a flood cannot pile up. Every
 * request gets a JSON reply; malformed, oversized or unknown ones, and those from senders that
 * are not allowed ({@link ControlSender}), get an error reply, a log line and a counter, never a
 * crash. The control server has its own connection, so {@code disconnect} and {@code restart}
 * of a component never cut the control plane itself.
 */
public final class ControlServer extends GuardedComponent {

    private static final Logger LOG = Logger.getLogger(ControlServer.class);
    private static final int QUEUE = 16;
    static final String OK = "ok";
    static final String ERROR = "error";
    static final String REJECTED = "rejected";
    static final String UNKNOWN_SENDER = "unknown_sender";
    static final String NO_REPLY = "no_reply";
    private static final List<String> OUTCOMES = List.of(OK, ERROR, REJECTED, UNKNOWN_SENDER, NO_REPLY);

    private final NatsoakConfig config;
    private final String role;
    private final String instance;
    private final Names names;
    private final Map<String, GuardedComponent> targets;
    private final LeakCanary canary;
    private final MeterRegistry registry;
    private final Set<String> allowedSenders;
    private final RestartProbe restarts;

    private OwnedConnection link;
    private Dispatcher dispatcher;
    private ThreadPoolExecutor executor;
    private NamedThreads execThreads;
    private OwnedExecutor.Scheduler timer;

    /** @param targets the components commands may act on, by name (the role's own component, usually one) */
    public ControlServer(NatsoakConfig config, String role, String instance, Map<String, GuardedComponent> targets, LeakCanary canary,
                         MeterRegistry registry) {
        this(config, role, instance, targets, canary, registry, new RestartLedger(config.resources().restartWindow(), registry));
    }

    /** @param ledger where the threads each restart of a target left behind are kept (the process' resource samples carry it) */
    public ControlServer(NatsoakConfig config, String role, String instance, Map<String, GuardedComponent> targets, LeakCanary canary,
                         MeterRegistry registry, RestartLedger ledger) {
        super("control");
        this.config = config;
        this.role = role;
        this.instance = instance;
        this.names = new Names(config.runId());
        this.targets = new LinkedHashMap<>(targets);
        this.canary = canary;
        this.registry = registry;
        this.allowedSenders = config.control().allowedSenders().stream().map(String::strip).collect(Collectors.toUnmodifiableSet());
        this.restarts = new RestartProbe(ledger, config.resources().restartSettle(), ThreadCensus::count);
        targets.keySet().forEach(ledger::register);
        // Registered at 0, so increase() sees the first request of each outcome (an unknown sender above all).
        for (String outcome : OUTCOMES) {
            registry.counter(MetricNames.CONTROL_REQUESTS, MetricNames.TAG_OUTCOME, outcome);
        }
        targets.forEach((name, component) -> {
            FunctionCounter.builder(MetricNames.IGNORED_STARTS, component, c -> c.ignoredStarts())
                    .tag(MetricNames.TAG_COMPONENT, name).register(registry);
            // Registered at 0, so increase() sees the first restart.
            registry.counter(MetricNames.COMPONENT_RESTARTS, MetricNames.TAG_COMPONENT, name);
        });
    }

    public String instanceSubject() {
        return names.controlSubject(role, instance);
    }

    public String roleSubject() {
        return names.controlSubject(role);
    }

    @Override
    protected void doStart() throws Exception {
        execThreads = new NamedThreads(name(), "exec");
        executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), execThreads);
        timer = OwnedExecutor.scheduler(name(), "timer");
        // Both threads now, not on the first command: started by the chaos operator's first
        // disconnect they would count as growth against the process' thread baseline.
        executor.prestartAllCoreThreads();
        timer.executor().execute(() -> { });
        link = OwnedConnection.open(config.nats(), name(), instance, registry, Provisioner.START_PATIENCE);
        dispatcher = link.connection().createDispatcher(this::onRequest);
        dispatcher.subscribe(instanceSubject());
        dispatcher.subscribe(roleSubject());
        // Once start returns, requests must find us: make sure the server has the subscriptions.
        link.connection().flush(config.nats().requestTimeout());
        LOG.infof("control plane listening on %s and %s", instanceSubject(), roleSubject());
    }

    @Override
    protected void doStop() {
        if (link != null) {
            if (dispatcher != null) {
                Dispatchers.close(link.connection(), dispatcher);
                dispatcher = null;
            }
        }
        OwnedExecutor.close(executor, execThreads);
        executor = null;
        if (timer != null) {
            timer.close();
            timer = null;
        }
        if (link != null) {
            link.close();
            link = null;
        }
    }

    /** Dispatcher thread: check, hand over, never block. */
    private void onRequest(Message msg) {
        if (msg.getReplyTo() == null) {
            count(NO_REPLY);
            LOG.warnf("control: ignoring a message without reply subject on %s", msg.getSubject());
            return;
        }
        byte[] data = msg.getData();
        if (data == null || data.length == 0 || data.length > config.control().maxMessageBytes()) {
            reject(msg, REJECTED, "message is empty or larger than " + config.control().maxMessageBytes()
                    + " bytes; allowed: a JSON command of 1 to " + config.control().maxMessageBytes() + " bytes");
            return;
        }
        Optional<ControlSender> sender = ControlSender.of(msg.getHeaders());
        if (sender.isEmpty() || !allowedSenders.contains(sender.get().role())) {
            reject(msg, UNKNOWN_SENDER, "unknown sender (" + ControlSender.claimed(msg.getHeaders()) + "); allowed: header "
                    + ControlSender.HEADER + ": <role>/<instance> with a role in " + new TreeSet<>(allowedSenders));
            return;
        }
        try {
            executor.execute(() -> handle(msg, sender.get()));
        } catch (RejectedExecutionException e) {
            reject(msg, REJECTED, "busy: " + QUEUE + " commands are already waiting");
        }
    }

    private void reject(Message msg, String outcome, String error) {
        count(outcome);
        LOG.warnf("control: rejected a request on %s: %s", msg.getSubject(), error);
        reply(msg, ControlReply.error("?", role, instance, error, ThreadCensus.total()));
    }

    private void handle(Message msg, ControlSender sender) {
        long started = System.nanoTime();
        int before = ThreadCensus.total();
        ControlCommand cmd;
        ControlCommand.Verb verb;
        try {
            cmd = ControlCommand.parse(msg.getData());
            verb = cmd.validated(targets.keySet());
        } catch (MalformedMessageException | IllegalArgumentException e) {
            reject(msg, REJECTED, e.getMessage() + " (from " + sender + ")");
            return;
        }
        if (verb.acts()) {
            LOG.infof("control: %s from %s", verb.wire(), sender);
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        String error = null;
        try {
            switch (verb) {
                case STATUS -> status(detail);
                case RESTART -> forEachTarget(cmd, c -> {
                    RestartProbe.Before measured = restarts.before(c);
                    c.stop();
                    c.start();
                    registry.counter(MetricNames.COMPONENT_RESTARTS, MetricNames.TAG_COMPONENT, c.name()).increment();
                    afterRestart(measured, c);
                }, detail);
                case STOP -> forEachTarget(cmd, GuardedComponent::stop, detail);
                case START -> forEachTarget(cmd, GuardedComponent::start, detail);
                case DISCONNECT -> forEachTarget(cmd, c -> {
                    RestartProbe.Before measured = restarts.before(c);
                    c.abort();
                    timer.executor().schedule(() -> reconnect(c, measured), cmd.seconds(), TimeUnit.SECONDS);
                }, detail);
                case THREADDUMP -> detail.putAll(ThreadDump.take());
                case GC -> {
                    System.gc();
                    detail.put("heapUsedBytes", Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
                }
                case LEAK -> {
                    canary.begin(cmd.threadsPerMinute() == null ? 0 : cmd.threadsPerMinute(),
                            cmd.bytesPerMinute() == null ? 0 : cmd.bytesPerMinute());
                    detail.put("leakedThreads", canary.leakedThreads());
                }
                case LEAK_STOP -> {
                    canary.end();
                    detail.put("leakedThreads", canary.leakedThreads());
                }
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            error = e.getMessage();
        } catch (Exception e) {
            error = e.toString();
            LOG.warnf("control: %s failed: %s", verb.wire(), e);
        }
        count(error == null ? OK : ERROR);
        long took = (System.nanoTime() - started) / 1_000_000;
        reply(msg, new ControlReply(error == null, verb.wire(), role, instance, error, before, ThreadCensus.total(), took, detail));
    }

    @FunctionalInterface
    private interface Action {
        void apply(GuardedComponent c) throws Exception;
    }

    private void forEachTarget(ControlCommand cmd, Action action, Map<String, Object> detail) throws Exception {
        List<GuardedComponent> chosen = new ArrayList<>();
        // The component is known: handle() refused any other before acting (ControlCommand.validated(components)).
        if (cmd.component() == null || cmd.component().equals(ControlCommand.ALL)) {
            chosen.addAll(targets.values());
        } else {
            chosen.add(targets.get(cmd.component()));
        }
        for (GuardedComponent c : chosen) {
            action.apply(c);
            detail.put(c.name(), c.state().name());
        }
    }

    /** A component is running again after a restart or reconnect: the leak canary's per-restart leak (if on), then the measurement. */
    private void afterRestart(RestartProbe.Before before, GuardedComponent c) {
        canary.onRestart(c.name());
        OwnedExecutor.Scheduler t = timer;
        if (t != null) {
            restarts.afterRestart(before, c, t.executor());
        }
    }

    private void reconnect(GuardedComponent c, RestartProbe.Before before) {
        try {
            c.start();
            LOG.infof("control: %s reconnected after disconnect", c.name());
            afterRestart(before, c);
        } catch (Exception e) {
            LOG.errorf("control: %s could not reconnect: %s", c.name(), e);
        }
    }

    private void status(Map<String, Object> detail) {
        Map<String, Object> components = new LinkedHashMap<>();
        targets.forEach((n, c) -> components.put(n, Map.of("state", c.state().name(), "ignoredStarts", c.ignoredStarts())));
        detail.put("components", components);
        detail.put("threads", ThreadCensus.count());
        detail.put("rssBytes", ProcessRss.bytes());
        detail.put("leakCanary", Map.of("enabled", canary.enabled(), "leaking", canary.leaking(), "leakedThreads", canary.leakedThreads()));
    }

    private void reply(Message msg, ControlReply reply) {
        try {
            OwnedConnection l = link;
            if (l != null) {
                l.connection().publish(msg.getReplyTo(), Json.write(reply));
            }
        } catch (RuntimeException e) {
            LOG.debugf("control: cannot reply: %s", e);
        }
    }

    private void count(String outcome) {
        registry.counter(MetricNames.CONTROL_REQUESTS, MetricNames.TAG_OUTCOME, outcome).increment();
    }

    /** For tests and status: the component names commands accept. */
    public List<String> targetNames() {
        return List.copyOf(targets.keySet());
    }

    static Component.State stateOf(GuardedComponent c) {
        return c.state();
    }
}

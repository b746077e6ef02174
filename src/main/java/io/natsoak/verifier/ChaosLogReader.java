package io.natsoak.verifier;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.natsoak.config.NatsConfig;
import io.natsoak.model.ChaosLogEntry;
import io.natsoak.model.ChaosSummary;
import io.natsoak.model.FaultRecovery;
import io.natsoak.model.Json;
import io.natsoak.model.MalformedMessageException;
import io.natsoak.nats.ChaosLog;
import io.natsoak.nats.Names;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The verifier's view of the chaos log: follows the stream from its first entry with an ordered
 * consumer on the verifier's dispatcher and keeps a summary for the report. Its state lives as
 * long as the verifier (like the verification), and entries are taken once by stream sequence,
 * so an in-place restart that reads the log again counts nothing twice.
 */
public final class ChaosLogReader {

    private static final Logger LOG = Logger.getLogger(ChaosLogReader.class);

    private final Names names;
    private final NatsConfig nats;
    private final Set<Long> seeds = new LinkedHashSet<>();
    private final Map<String, Map<String, Long>> byEvent = new TreeMap<>();
    private final List<ChaosSummary.Fault> faults = new ArrayList<>();
    /** Index in {@link #faults} by "seed/step", so a recovery entry finds its fault. */
    private final Map<String, Integer> listed = new HashMap<>();
    /** Per event: the recovery times (seconds) of its timed faults, and how many were not recovered. */
    private final Map<String, List<Double>> recovered = new TreeMap<>();
    private final Map<String, Long> unrecovered = new TreeMap<>();
    private long total;
    private boolean truncated;
    private long lastSequence;
    private JetStreamSubscription subscription;

    public ChaosLogReader(Names names, NatsConfig nats) {
        this.names = names;
        this.nats = nats;
    }

    /** Subscribes on the given dispatcher (creating the stream if the operator has not yet). */
    public void start(Connection connection, Dispatcher dispatcher) throws Exception {
        ChaosLog.ensureStream(connection, names, nats);
        subscription = connection.jetStream().subscribe(names.chaosLogSubject(), dispatcher, this::onEntry, false,
                PushSubscribeOptions.builder().stream(names.chaosStream()).ordered(true).build());
    }

    /** Unsubscribes; the summary stays. */
    public void stop(Dispatcher dispatcher) {
        JetStreamSubscription s = subscription;
        subscription = null;
        if (s != null && dispatcher != null) {
            try {
                dispatcher.unsubscribe(s);
            } catch (RuntimeException e) {
                LOG.debugf("unsubscribing from the chaos log: %s", e);
            }
        }
    }

    private void onEntry(Message msg) {
        long seq = msg.metaData().streamSequence();
        ChaosLogEntry entry;
        try {
            entry = Json.read(msg.getData(), ChaosLogEntry.class);
        } catch (MalformedMessageException e) {
            LOG.warnf("ignoring a malformed chaos log entry: %s", e.getMessage());
            return;
        }
        add(seq, entry);
    }

    /** Takes an entry once (by its stream sequence). */
    synchronized void add(long sequence, ChaosLogEntry entry) {
        if (sequence <= lastSequence) {
            return;
        }
        lastSequence = sequence;
        seeds.add(entry.seed());
        if (entry.recovery() != null) {
            addRecovery(entry);
            return;
        }
        if (!entry.fault()) {
            return;
        }
        total++;
        byEvent.computeIfAbsent(entry.event(), k -> new TreeMap<>()).merge(entry.outcome(), 1L, Long::sum);
        if (faults.size() < ChaosSummary.MAX_LISTED) {
            listed.put(entry.seed() + "/" + entry.step(), faults.size());
            faults.add(ChaosSummary.Fault.of(entry));
        } else {
            truncated = true;
        }
    }

    private void addRecovery(ChaosLogEntry entry) {
        FaultRecovery r = entry.recovery();
        if (r.recovered()) {
            List<Double> times = recovered.computeIfAbsent(entry.event(), k -> new ArrayList<>());
            if (times.size() < ChaosSummary.MAX_LISTED) {
                times.add(r.healthySeconds());
            }
        } else {
            unrecovered.merge(entry.event(), 1L, Long::sum);
        }
        Integer index = listed.get(entry.seed() + "/" + entry.step());
        if (index != null) {
            faults.set(index, faults.get(index).withRecovery(r));
        }
    }

    private Map<String, ChaosSummary.EventRecovery> recoveries() {
        Map<String, ChaosSummary.EventRecovery> out = new TreeMap<>();
        Set<String> events = new TreeSet<>(recovered.keySet());
        events.addAll(unrecovered.keySet());
        for (String event : events) {
            double[] times = recovered.getOrDefault(event, List.of()).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            long bad = unrecovered.getOrDefault(event, 0L);
            out.put(event, new ChaosSummary.EventRecovery(times.length + bad, bad, times.length == 0 ? null : times[(times.length - 1) / 2],
                    times.length == 0 ? null : times[times.length - 1]));
        }
        return Collections.unmodifiableMap(out);
    }

    public synchronized ChaosSummary summary() {
        Map<String, Map<String, Long>> counts = new TreeMap<>();
        byEvent.forEach((event, outcomes) -> counts.put(event, Collections.unmodifiableMap(new TreeMap<>(outcomes))));
        return new ChaosSummary(List.copyOf(seeds), total, Collections.unmodifiableMap(counts), List.copyOf(faults), truncated, recoveries());
    }
}

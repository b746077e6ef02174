package io.natsoak.bench;

import io.nats.client.api.StorageType;
import io.natsoak.local.NatsCluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench raw}: plain jnats on a fresh local 3-node cluster, both consumption models, at
 * natsoak's replicas, storage and message size ({@code natsoak.nats.replicas}, {@code
 * natsoak.nats.storage}, {@code natsoak.producer.message-size}, overridable with -D).
 */
final class RawScenario implements Scenario {

    static final int DEFAULT_PARTITIONS = 100;

    private final int partitions;
    private final RawJetStream.Publishing publishing;

    RawScenario(Integer partitions, RawJetStream.Publishing publishing) {
        this.partitions = partitions == null ? DEFAULT_PARTITIONS : partitions;
        this.publishing = publishing;
    }

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public Measured run(BenchContext ctx) throws Exception {
        int p = ctx.size(partitions, 4);
        List<Figure> figures = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();
        for (RawJetStream.Model model : RawJetStream.Model.values()) {
            RawJetStream.Result r = measure(ctx, model, p, publishing);
            figures.addAll(figures(r));
            details.put(model.name().toLowerCase(Locale.ROOT), r);
        }
        return new Measured(figures, details, true);
    }

    /** The end-to-end and publish figures of one raw measurement. */
    static List<Figure> figures(RawJetStream.Result r) {
        String what = String.format("raw, %d partitions, %s%s", r.partitions(), r.model().label(),
                r.publishing().messageIds() ? ", with message ids" : "");
        return List.of(
                Figure.of(what + ": end to end", r.consumedPerSecond(), "msg/s").limit(r.limit()),
                Figure.of(what + ": publish with PubAck", r.publishedPerSecond(), "msg/s").limit(r.cpu().limit("PubAck round trips")),
                Figure.of(what + ": setup (stream and consumers)", r.setupSeconds(), "s"));
    }

    /** One measurement on its own fresh cluster, so nothing of a previous one (consumers, store) weighs on it. */
    static RawJetStream.Result measure(BenchContext ctx, RawJetStream.Model model, int partitions) throws Exception {
        return measure(ctx, model, partitions, RawJetStream.Publishing.DEFAULT);
    }

    static RawJetStream.Result measure(BenchContext ctx, RawJetStream.Model model, int partitions, RawJetStream.Publishing publishing)
            throws Exception {
        Map<String, String> none = Map.of();
        RawJetStream.Settings s = new RawJetStream.Settings(model, partitions,
                Integer.parseInt(ctx.setting("natsoak.producer.message-size", none, "200")),
                Integer.parseInt(ctx.setting("natsoak.nats.replicas", none, "3")),
                "memory".equalsIgnoreCase(ctx.setting("natsoak.nats.storage", none, "file")) ? StorageType.Memory : StorageType.File,
                ctx.size(Duration.ofSeconds(10), Duration.ofSeconds(1)), ctx.size(Duration.ofSeconds(30), Duration.ofSeconds(2)), publishing);
        ctx.say("raw jnats: %d partitions, %s, R%d %s, %d-byte messages, %s: warm-up %d s, window %d s", partitions, model.label(),
                s.replicas(), s.storage(), s.messageSize(), publishing.label(), s.warmUp().toSeconds(), s.window().toSeconds());
        try (NatsCluster cluster = ctx.cluster("raw")) {
            cluster.start();
            RawJetStream.Result r = RawJetStream.run(cluster, s);
            ctx.say("raw jnats: end to end %.0f msg/s, published %.0f msg/s, backlog %d", r.consumedPerSecond(), r.publishedPerSecond(),
                    r.backlog());
            return r;
        }
    }
}

package io.natsoak.assign;

import io.nats.client.JetStreamApiException;
import io.natsoak.config.ManagerSettings;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * This member's own release record: whether it must be rewritten, and the revision the next
 * write expects (revision-checked, so the record never goes backwards). Loop-confined.
 */
final class ReleaseRecord {

    private static final Logger LOG = Logger.getLogger(ReleaseRecord.class);

    private final GroupBuckets buckets;
    private final GroupView view;
    private final Loop loop;
    private final long retryMs;
    private BiConsumer<Lease, String> onGone = (l, why) -> { };
    private long revision;
    private boolean dirty;

    ReleaseRecord(GroupBuckets buckets, GroupView view, Loop loop, ManagerSettings settings) {
        this.buckets = buckets;
        this.view = view;
        this.loop = loop;
        this.retryMs = settings.heartbeatInterval().toMillis() / 2 + 1;
    }

    /** Called when the record shows this incarnation is gone (it must fence itself). */
    void onGone(BiConsumer<Lease, String> handler) {
        this.onGone = handler;
    }

    /** A new incarnation wrote its first record at this revision. */
    void joined(long firstRevision) {
        revision = firstRevision;
        dirty = false;
    }

    void changed() {
        dirty = true;
    }

    void clean() {
        dirty = false;
    }

    boolean dirty() {
        return dirty;
    }

    /** Writes {@code r}; on failure keeps it dirty and retries soon. */
    void write(Lease l, Wire.Release r) {
        try {
            revision = buckets.releases().update(l.holder, Wire.encode(r), revision);
            view.wroteRelease(l.holder, revision, r);
            dirty = false;
        } catch (JetStreamApiException e) {
            if (KvBucket.conflict(e)) {
                reload(l);
            } else {
                LOG.debugf("%s: writing the release record failed: %s", l.holder, e.toString());
            }
            loop.nudgeLater(retryMs);
        } catch (IOException e) {
            LOG.debugf("%s: writing the release record failed: %s", l.holder, e.toString());
            loop.nudgeLater(retryMs);
        }
    }

    /** Writes the final record of a graceful leave; throws when it could not. */
    void writeLeaving(Lease l, Wire.Release gone) throws IOException, JetStreamApiException {
        try {
            revision = buckets.releases().update(l.holder, Wire.encode(gone), revision);
        } catch (JetStreamApiException e) {
            if (!KvBucket.conflict(e)) {
                throw e;
            }
            reload(l);
            revision = buckets.releases().update(l.holder, Wire.encode(gone), revision);
        }
    }

    private void reload(Lease l) {
        try {
            KvEntry entry = buckets.releases().get(l.holder).orElse(null);
            if (entry == null) {
                revision = 0;
                return;
            }
            Wire.Release r = Wire.Release.decode(entry.value());
            if (r.inc() > l.inc || (r.inc() == l.inc && r.gone())) {
                onGone.accept(l, "the release record says this incarnation is gone");
                return;
            }
            revision = entry.revision();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("%s: reading the release record failed: %s", l.holder, e.toString());
        }
    }
}

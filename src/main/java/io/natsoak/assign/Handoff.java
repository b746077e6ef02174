package io.natsoak.assign;

import java.util.Map;

/**
 * The one rule of the two-phase handoff: when may a new owner start a partition that member
 * {@code e.id()}/{@code e.inc()} may still hold?
 * <p>
 * Release records are monotonic per incarnation (a member only ever raises {@code asOf}, and a
 * record of a newer incarnation can only exist once the older incarnation's key was deleted or
 * expired, which fences it), so a stale read can only say "not yet", never a wrong "yes".
 */
final class Handoff {

    private Handoff() {
    }

    static boolean confirmed(Wire.WaitFor e, int partition, Map<String, Wire.Release> releases) {
        Wire.Release r = releases.get(e.id());
        if (r == null) {
            return false;
        }
        if (r.inc() > e.inc()) {
            return true; // a newer incarnation of that id exists: the old one is fenced
        }
        if (r.inc() < e.inc()) {
            return false; // the incarnation has not written its first record yet
        }
        if (r.gone()) {
            return true;
        }
        return r.asOf() >= e.movedAt() && !r.holds(partition);
    }
}

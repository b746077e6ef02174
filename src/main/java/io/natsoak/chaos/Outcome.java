package io.natsoak.chaos;

import java.util.Locale;

/** What became of one scheduled fault; the {@code outcome} tag of the chaos counter and the chaos log. */
public enum Outcome {
    /** The fault happened. */
    INJECTED,
    /** Dry run: decided and recorded, nothing changed. */
    DRY_RUN,
    /** A safety rule held it back (no eligible target, too young, too few ready siblings, cluster not healthy, at a scale bound). */
    SKIPPED,
    /** The target refused it (an eviction blocked by a PodDisruptionBudget, an API call outside the permitted list). */
    REFUSED,
    /** It was tried and went wrong (API error, no control reply). */
    FAILED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}

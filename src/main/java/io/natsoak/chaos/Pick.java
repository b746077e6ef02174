package io.natsoak.chaos;

import java.util.Optional;

/**
 * A target picker's answer: the target a fault hits and why it was chosen, or why nothing may be
 * hit, naming the target that was considered and held back where there was one (the chaos log
 * shows it).
 */
record Pick(Optional<Target> chosen, String considered, String reason) {

    static Pick of(Target target, String reason) {
        return new Pick(Optional.of(target), target.name(), reason);
    }

    /** Nothing may be hit, and no particular target was held back. */
    static Pick none(String reason) {
        return new Pick(Optional.empty(), "", reason);
    }

    /** {@code considered} may not be hit now, for {@code reason}. */
    static Pick heldBack(String considered, String reason) {
        return new Pick(Optional.empty(), considered, reason);
    }

    boolean found() {
        return chosen.isPresent();
    }

    Target target() {
        return chosen.orElseThrow(() -> new IllegalStateException("nothing was chosen: " + reason));
    }

    /** The event's result when nothing was chosen: skipped, with the reason. */
    FaultInjector.Result skipped() {
        return new FaultInjector.Result(Outcome.SKIPPED, considered, reason);
    }
}

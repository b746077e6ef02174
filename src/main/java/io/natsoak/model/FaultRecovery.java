package io.natsoak.model;

/**
 * How long the run took to be healthy again after one injected fault, in seconds from the
 * injection. Each part is the first time it was seen after the injection; null where it was not
 * seen within {@code limitSeconds}.
 *
 * @param healthySeconds        all three parts at once: the fault's recovery time; null = not recovered within the limit
 * @param clusterCurrentSeconds every stream and bucket of the run has a leader and current, online replicas
 * @param publishingSeconds     acknowledged publishes at 80 % of the rate before the fault, over a window after it
 * @param verifiedSeconds       verified messages at 80 % of the rate before the fault, over a window after it
 * @param limitSeconds          how long the operator watched before it gave up
 */
public record FaultRecovery(Double healthySeconds, Double clusterCurrentSeconds, Double publishingSeconds, Double verifiedSeconds,
                            double limitSeconds) {

    public boolean recovered() {
        return healthySeconds != null;
    }

    /** One line for logs and the chaos log's detail. */
    public String describe() {
        String parts = String.format(java.util.Locale.ROOT, "cluster current %s, publishing %s, verified rate %s", seconds(clusterCurrentSeconds),
                seconds(publishingSeconds), seconds(verifiedSeconds));
        return recovered() ? String.format(java.util.Locale.ROOT, "healthy again after %.1f s (%s)", healthySeconds, parts)
                : String.format(java.util.Locale.ROOT, "not healthy again within %.0f s (%s)", limitSeconds, parts);
    }

    private static String seconds(Double s) {
        return s == null ? "not seen" : String.format(java.util.Locale.ROOT, "%.1f s", s);
    }
}

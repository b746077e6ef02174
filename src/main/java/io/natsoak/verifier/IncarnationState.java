package io.natsoak.verifier;

import io.natsoak.model.ResourceSample.RestartStats;

import java.util.List;
import java.util.Map;

/** One process incarnation of {@link ResourceGrowth} as the verifier's checkpoint stores it (JSON): its three resources in {@link ResourceGrowth.Resource} order. */
record IncarnationState(String role, String instance, long processStartMillis, long firstAtMillis, long lastAtMillis,
                        long readyAtMillis, List<ResourceState> resources, Map<String, RestartStats> restarts) {
}

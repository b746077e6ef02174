package io.natsoak.control;

import java.util.Map;

/** The answer to every control request: what happened, and the thread count around it. */
public record ControlReply(boolean ok, String command, String role, String instance, String error, int threadsBefore, int threadsAfter,
                           long tookMillis, Map<String, Object> detail) {

    public static ControlReply error(String command, String role, String instance, String error, int threads) {
        return new ControlReply(false, command, role, instance, error, threads, threads, 0, Map.of());
    }
}

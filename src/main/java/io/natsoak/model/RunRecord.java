package io.natsoak.model;

/** When the run started and how long producers publish (0: until stopped). Written once. */
public record RunRecord(long startedAtMillis, long durationMillis) {

    public boolean timed() {
        return durationMillis > 0;
    }

    public long endsAtMillis() {
        return timed() ? startedAtMillis + durationMillis : Long.MAX_VALUE;
    }
}

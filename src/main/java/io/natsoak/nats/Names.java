package io.natsoak.nats;

/**
 * Every stream, subject and bucket name of one run, defined once. The run id keeps runs (and
 * tests) that share a NATS cluster apart.
 */
public record Names(String runId) {

    public static final String MSG_ID_HEADER = "Nats-Msg-Id";

    public String dataStream() {
        return "NATSOAK_" + runId + "_DATA";
    }

    public String dataSubject(int partition) {
        return "natsoak." + runId + ".data." + partition;
    }

    public String dataSubjects() {
        return "natsoak." + runId + ".data.*";
    }

    public String receiptsStream() {
        return "NATSOAK_" + runId + "_RECEIPTS";
    }

    public String receiptsSubject() {
        return "natsoak." + runId + ".receipts";
    }

    /** Committed consumption position of each partition (owned by the partition, not the worker). */
    public String positionsBucket() {
        return "natsoak_" + runId + "_positions";
    }

    /** Each producer's acknowledged per-partition high-water marks. */
    public String marksBucket() {
        return "natsoak_" + runId + "_marks";
    }

    /** The run record: when it started and how long it lasts, shared by every role. */
    public String runBucket() {
        return "natsoak_" + runId + "_run";
    }

    /** Name prefix of the verifier's ordered consumer on the receipts stream. */
    public String verifierConsumer() {
        return "verifier";
    }

    /** The verifier's checkpoints (only the newest complete one is kept). */
    public String checkpointStream() {
        return "NATSOAK_" + runId + "_CHECKPOINT";
    }

    public String checkpointSubject() {
        return "natsoak." + runId + ".checkpoint";
    }

    /** Commands for one instance of a role. */
    public String controlSubject(String role, String instance) {
        return "natsoak." + runId + ".control." + role + "." + instance;
    }

    /** Commands for every instance of a role (request/reply: each instance answers). */
    public String controlSubject(String role) {
        return "natsoak." + runId + ".control." + role;
    }

    /** Resource samples (threads, heap after GC, RSS) of one process, published every sample interval. */
    public String resourcesSubject(String role, String instance) {
        return "natsoak." + runId + ".resources." + role + "." + instance;
    }

    /** Every process' resource samples (the verifier subscribes). */
    public String resourcesSubjects() {
        return "natsoak." + runId + ".resources.>";
    }

    /** The verifier's running totals, every second (core NATS): the chaos operator times recoveries against them. */
    public String progressSubject() {
        return "natsoak." + runId + ".progress";
    }

    /** The chaos log: one entry per fault the chaos operator scheduled (the verifier's report lists them). */
    public String chaosStream() {
        return "NATSOAK_" + runId + "_CHAOS";
    }

    public String chaosLogSubject() {
        return "natsoak." + runId + ".chaos.log";
    }

    public static String positionKey(int partition) {
        return "p." + partition;
    }

    public static String producerKey(int producerIndex) {
        return "producer-" + producerIndex;
    }

    public static final String RUN_KEY = "run";

    /** A message id unique per run, partition and sequence, so a retried publish is stored once. */
    public String messageId(int partition, long sequence) {
        return runId + "-" + partition + "-" + sequence;
    }
}

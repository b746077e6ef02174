package io.natsoak.assign;

/**
 * The JetStream API error codes the partition manager acts on, in one place (to be pointed at the
 * project-wide table when there is one).
 */
final class ErrorCodes {

    /** A write's expected last revision (subject sequence) did not match: someone else wrote first. */
    static final int WRONG_LAST_SEQUENCE = 10071;
    /** Creating a stream (bucket) that another member created at the same moment. */
    static final int STREAM_NAME_IN_USE = 10058;
    static final int STREAM_NOT_FOUND = 10059;

    private ErrorCodes() {
    }
}

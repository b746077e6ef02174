package io.natsoak.verifier;

/** The shared empty array and the heap estimate of the primitive arrays a {@link PartitionLedger} holds. */
final class LongArrays {

    /** Shared by every empty bitset and run list, so an idle ledger holds no array of its own. */
    static final long[] EMPTY = new long[0];

    private LongArrays() {
    }

    /** Heap held by {@code a} (header and elements; 64-bit JVM, compressed oops); 0 for an empty one, since those are {@link #EMPTY}. */
    static long bytes(long[] a) {
        return a.length == 0 ? 0 : 16 + 8L * a.length;
    }
}

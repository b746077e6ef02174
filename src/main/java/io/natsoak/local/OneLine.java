package io.natsoak.local;

/** An exception as one line (its type and message), for error messages and logs of the local launcher. */
final class OneLine {

    private OneLine() {
    }

    static String of(Throwable t) {
        String msg = t.getMessage();
        String s = t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
        return s.replaceAll("\\R", " ");
    }
}

package io.natsoak.config;

/**
 * A configuration problem, already phrased as the one line a user sees. Values echoed from the
 * input may hold anything, so control characters are escaped and the line is capped: it stays
 * one line whatever was typed.
 */
public final class ConfigException extends RuntimeException {

    static final int MAX_LENGTH = 1000;

    public ConfigException(String oneLine) {
        super(printable(oneLine), null, false, false);
    }

    static String printable(String text) {
        String s = text == null ? "invalid configuration" : text;
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_LENGTH + 16));
        int i = 0;
        for (; i < s.length() && sb.length() < MAX_LENGTH; i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (i < s.length()) {
            sb.append("...");
        }
        return sb.toString();
    }
}

package io.natsoak.model;

/**
 * Text from outside (a configuration value, a control request) made safe to echo in one line of
 * a log or a reply: line breaks and other control characters escaped, length capped. A hostile
 * input must not be able to forge log lines or flood them.
 */
public final class Printable {

    private Printable() {
    }

    public static String of(String s, int maxLength) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), maxLength + 16));
        int i = 0;
        for (; i < s.length() && sb.length() < maxLength; i++) {
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

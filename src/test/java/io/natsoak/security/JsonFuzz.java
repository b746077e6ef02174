package io.natsoak.security;

import java.util.List;
import java.util.Random;

/**
 * Hostile input from a seeded {@link Random}: raw bytes, strings with control characters and
 * odd Unicode, JSON of any shape (deep, huge, wrong types) and mutations of valid messages.
 */
final class JsonFuzz {

    private static final String[] ODD = {"\u0000", "\n", "\r", "\t", "\u001b[31m", "\u2028", "\ufeff", "\ud800", "\udfff", "\u00e9",
            "\ud83d\ude00", "\"", "\\", "/", "{", "}", "[", "]", ",", ":", "=", "$", "%s", "%n", "${x}", "*", ">", "."};

    private final Random random;
    private final List<String> keys;
    private final List<String> words;

    JsonFuzz(Random random, List<String> keys, List<String> words) {
        this.random = random;
        this.keys = keys;
        this.words = words;
    }

    byte[] randomBytes(int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    String randomString(int length) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < length) {
            int kind = random.nextInt(10);
            if (kind < 5) {
                sb.append((char) ('a' + random.nextInt(26)));
            } else if (kind < 7) {
                sb.append(ODD[random.nextInt(ODD.length)]);
            } else if (kind < 8) {
                sb.append((char) random.nextInt(0x10000));
            } else if (!words.isEmpty()) {
                sb.append(words.get(random.nextInt(words.size())));
            } else {
                sb.append((char) ('0' + random.nextInt(10)));
            }
        }
        return sb.toString();
    }

    /** A JSON string literal of a random (possibly hostile) text, correctly escaped or deliberately not. */
    String stringLiteral() {
        String s = random.nextInt(3) == 0 && !words.isEmpty() ? words.get(random.nextInt(words.size())) : randomString(random.nextInt(20));
        if (random.nextInt(10) == 0) {
            return "\"" + s + "\""; // raw: control characters and quotes unescaped
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    String number() {
        return switch (random.nextInt(9)) {
            case 0 -> "0";
            case 1 -> Integer.toString(random.nextInt(400) - 50);
            case 2 -> Long.toString(random.nextLong());
            case 3 -> "9".repeat(1 + random.nextInt(60));
            case 4 -> random.nextDouble() * 1000 + "";
            case 5 -> "1e" + random.nextInt(500);
            case 6 -> "-0";
            case 7 -> "NaN";
            default -> Integer.toString(Integer.MAX_VALUE) + random.nextInt(10);
        };
    }

    /** Any JSON value; deeper levels are less likely, but a few inputs nest very deeply. */
    String randomJson(int depth) {
        int choice = random.nextInt(depth > 6 ? 5 : 8);
        return switch (choice) {
            case 0 -> stringLiteral();
            case 1 -> number();
            case 2 -> random.nextBoolean() ? "true" : "false";
            case 3 -> "null";
            case 4 -> random.nextInt(50) == 0 ? deep(1 + random.nextInt(5000)) : stringLiteral();
            case 5 -> {
                StringBuilder sb = new StringBuilder("[");
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    sb.append(i > 0 ? "," : "").append(randomJson(depth + 1));
                }
                yield sb.append(']').toString();
            }
            default -> randomObject(random.nextInt(4), depth + 1);
        };
    }

    String randomObject(int fields) {
        return randomObject(fields, 0);
    }

    /** An object whose keys are mostly the schema's own (so values of wrong types reach the binder), sometimes unknown or repeated. */
    String randomObject(int fields, int depth) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < fields; i++) {
            String key = !keys.isEmpty() && random.nextInt(5) != 0 ? "\"" + keys.get(random.nextInt(keys.size())) + "\"" : stringLiteral();
            String value = random.nextInt(3) == 0 && !words.isEmpty() ? "\"" + words.get(random.nextInt(words.size())) + "\"" : randomJson(depth + 1);
            sb.append(i > 0 ? "," : "").append(key).append(':').append(value);
        }
        return sb.append('}').toString();
    }

    String deep(int levels) {
        boolean arrays = random.nextBoolean();
        return (arrays ? "[" : "{\"a\":").repeat(levels) + "1" + (arrays ? "]" : "}").repeat(levels);
    }

    /** A valid command, so mutations start from the interesting part of the input space. */
    String validCommand() {
        return switch (random.nextInt(6)) {
            case 0 -> "{\"command\":\"status\"}";
            case 1 -> "{\"command\":\"restart\",\"component\":\"worker\"}";
            case 2 -> "{\"command\":\"disconnect\",\"seconds\":" + (1 + random.nextInt(300)) + "}";
            case 3 -> "{\"command\":\"leak\",\"threadsPerMinute\":" + random.nextInt(100) + ",\"bytesPerMinute\":1}";
            case 4 -> "{\"command\":\"threaddump\"}";
            default -> "{\"command\":\"leak-stop\"}";
        };
    }

    /** A few random edits: flipped bits, inserted or deleted bytes, truncation, duplication. */
    byte[] mutate(byte[] input) {
        byte[] b = input.clone();
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) random.nextInt(256);
                case 2 -> b = java.util.Arrays.copyOf(b, at);
                case 3 -> {
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) "{}[]\",:0\\ ".charAt(random.nextInt(10));
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
                default -> {
                    byte[] twice = java.util.Arrays.copyOf(b, b.length * 2);
                    System.arraycopy(b, 0, twice, b.length, b.length);
                    b = twice;
                }
            }
        }
        return b;
    }
}

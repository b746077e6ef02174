package io.natsoak.control;

import io.nats.client.impl.Headers;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who sent a control request, from its {@value #HEADER} header: {@code <role>/<instance>}, e.g.
 * {@code chaos/natsoak-chaos-7d9f}. This identifies, it does not authenticate: anyone who may
 * publish on a control subject can write any header. What keeps others off the control subjects
 * is NATS itself (only the chaos identity has publish permission there, see docs/reliability.md);
 * the header lets a component refuse requests that do not claim an allowed role (a stray
 * {@code nats req} by hand, another tool on the same subjects) and name the sender in its log.
 */
public record ControlSender(String role, String instance) {

    public static final String HEADER = "Natsoak-Sender";
    private static final Pattern FORMAT = Pattern.compile("([a-z][a-z0-9-]{0,31})/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})");

    public ControlSender {
        if (!FORMAT.matcher(role + "/" + instance).matches()) {
            throw new IllegalArgumentException("a control sender is <role>/<instance> (letters, digits, '-', '_', '.'); got \""
                    + ControlCommand.printable(role + "/" + instance) + "\"");
        }
    }

    /** The sender a request names, if its header holds exactly one well-formed value. */
    public static Optional<ControlSender> of(Headers headers) {
        if (headers == null) {
            return Optional.empty();
        }
        List<String> values = headers.get(HEADER);
        if (values == null || values.size() != 1) {
            return Optional.empty();
        }
        Matcher m = FORMAT.matcher(values.get(0));
        return m.matches() ? Optional.of(new ControlSender(m.group(1), m.group(2))) : Optional.empty();
    }

    /** What a header held, for an error reply or a log line (escaped, shortened). */
    static String claimed(Headers headers) {
        if (headers == null || headers.get(HEADER) == null) {
            return "no " + HEADER + " header";
        }
        return HEADER + " " + ControlCommand.printable(String.join(", ", headers.get(HEADER)));
    }

    public String wire() {
        return role + "/" + instance;
    }

    @Override
    public String toString() {
        return wire();
    }
}

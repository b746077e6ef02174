package io.natsoak.assign;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/** Member ids ({@code worker-<n>}) and the one order every strategy and record uses. */
public final class MemberIds {

    public static final String PREFIX = "worker-";

    /** By the number after {@code worker-} when there is one ({@code worker-2} before {@code worker-10}), else by text. */
    public static final Comparator<String> ORDER = Comparator
            .comparingLong(MemberIds::numberOrMax)
            .thenComparing(Comparator.naturalOrder());

    private MemberIds() {
    }

    public static String of(int n) {
        return PREFIX + n;
    }

    /** The number of {@code worker-<n>}, or -1 if the id has another form. */
    public static int number(String id) {
        if (id == null || !id.startsWith(PREFIX)) {
            return -1;
        }
        try {
            int n = Integer.parseInt(id.substring(PREFIX.length()));
            return n >= 0 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Distinct ids in {@link #ORDER}. */
    public static List<String> sorted(Collection<String> ids) {
        TreeSet<String> set = new TreeSet<>(ORDER);
        for (String id : ids) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("blank member id");
            }
            set.add(id);
        }
        return new ArrayList<>(set);
    }

    private static long numberOrMax(String id) {
        int n = number(id);
        return n < 0 ? Long.MAX_VALUE : n;
    }
}

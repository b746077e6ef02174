package io.natsoak.bench;

import io.natsoak.model.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints a scenario's table and writes its JSON. */
final class BenchReport {

    private BenchReport() {
    }

    static void print(BenchResult r, PrintStream out) {
        out.println();
        out.printf("== bench %s%s: %s ==%n", r.scenario(), r.smoke() ? " (smoke: tiny sizes, the figures mean nothing)" : "", r.date());
        out.println("machine: " + r.machine().summary());
        out.println("command: " + r.command());
        BenchResult.Conditions c = r.conditions();
        out.printf("load: %.2f -> %.2f; other processes used %.0f%% of the machine%s%n", c.loadBefore(), c.loadAfter(), c.othersPercent(),
                c.underLoad() ? ": MEASURED UNDER LOAD, the figures are distorted" : "");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"figure", "value", "unit", "goal", "limited by"});
        for (Figure f : r.figures()) {
            rows.add(new String[] {f.name(), format(f.value()), f.unit(), f.goal(), f.limit()});
        }
        int[] width = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            out.printf("  %-" + width[0] + "s  %" + width[1] + "s  %-" + width[2] + "s  %-" + width[3] + "s  %s%n", (Object[]) row);
        }
    }

    static Path write(BenchResult r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(r.scenario() + ".json");
        Path tmp = dir.resolve(r.scenario() + ".json.tmp");
        Files.writeString(tmp, Json.pretty(r));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /** Whole numbers without decimals, small ones with a few significant digits. */
    static String format(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }
}

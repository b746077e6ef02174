package io.natsoak.bench;

/**
 * One measured figure: a row of a scenario's table, of its JSON and of docs/benchmarks.md.
 *
 * @param goal    what the issue asks for, e.g. {@code ">= 0.8"}, or empty
 * @param limit   what limited the figure on this run (CPU and who used it, disk, NATS, the rate search's bound)
 */
public record Figure(String name, double value, String unit, String goal, String limit) {

    public Figure {
        goal = goal == null ? "" : goal;
        limit = limit == null ? "" : limit;
    }

    public static Figure of(String name, double value, String unit) {
        return new Figure(name, value, unit, "", "");
    }

    public Figure goal(String g) {
        return new Figure(name, value, unit, g, limit);
    }

    public Figure limit(String l) {
        return new Figure(name, value, unit, goal, l);
    }
}

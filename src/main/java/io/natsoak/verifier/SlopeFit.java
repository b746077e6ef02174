package io.natsoak.verifier;

/**
 * Least-squares slope of a resource's value over hours, updated online (Welford: no cancellation,
 * a flat series has slope 0 exactly). Bounded state: five numbers, however long the process lives.
 */
final class SlopeFit {
    long n;
    double meanT;
    double meanY;
    double cTY;
    double m2T;

    void add(double t, double y) {
        if (Double.isNaN(y)) {
            return;
        }
        n++;
        double dt = t - meanT;
        meanT += dt / n;
        meanY += (y - meanY) / n;
        cTY += dt * (y - meanY);
        m2T += dt * (t - meanT);
    }

    double slope() {
        return n < 2 || m2T <= 0 ? 0 : cTY / m2T;
    }

    static SlopeFit restore(long n, double meanT, double meanY, double cTY, double m2T) {
        SlopeFit f = new SlopeFit();
        f.n = Math.max(0, n);
        f.meanT = meanT;
        f.meanY = meanY;
        f.cTY = cTY;
        f.m2T = m2T;
        return f;
    }
}

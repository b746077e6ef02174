package io.natsoak.local;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The one HTTP client natsoak needs: a GET on a local process' HTTP endpoint (nats-server's
 * monitoring, a role's health and report, Prometheus' readiness), with bounded waits and no
 * connection kept open. The JDK's {@link HttpURLConnection}: nothing to start or close.
 */
public final class HttpGet {

    /** What a GET answered: its status code and body (the error body for 4xx and 5xx; "" when there is none). */
    public record Answer(int code, String body) {
    }

    private HttpGet() {
    }

    /** One GET; an {@link IOException} when nothing answered (refused, timed out, not a URL). */
    public static Answer get(String url, Duration connectTimeout, Duration readTimeout) throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new IOException("not a URL: " + url, e);
        }
        try {
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            c.setUseCaches(false);
            c.setRequestProperty("Connection", "close");
            int code = c.getResponseCode();
            InputStream body = code >= 400 ? c.getErrorStream() : c.getInputStream();
            if (body == null) {
                return new Answer(code, "");
            }
            try (body) {
                return new Answer(code, new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
        } finally {
            c.disconnect();
        }
    }

    /** The status code of a GET, or -1 when nothing answered: for readiness probes. */
    public static int status(String url, Duration connectTimeout, Duration readTimeout) {
        try {
            return get(url, connectTimeout, readTimeout).code();
        } catch (IOException e) {
            return -1;
        }
    }
}

package io.natsoak.local;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpGetTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private HttpServer server;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/ok", e -> answer(e, 200, "fine"));
        server.createContext("/down", e -> answer(e, 503, "not ready"));
        server.createContext("/empty", e -> {
            e.sendResponseHeaders(204, -1);
            e.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void readsTheStatusAndTheBodyOfSuccessAndOfError() throws IOException {
        assertThat(HttpGet.get(url("/ok"), TIMEOUT, TIMEOUT)).isEqualTo(new HttpGet.Answer(200, "fine"));
        assertThat(HttpGet.get(url("/down"), TIMEOUT, TIMEOUT)).isEqualTo(new HttpGet.Answer(503, "not ready"));
        assertThat(HttpGet.get(url("/empty"), TIMEOUT, TIMEOUT)).isEqualTo(new HttpGet.Answer(204, ""));
        assertThat(HttpGet.status(url("/down"), TIMEOUT, TIMEOUT)).isEqualTo(503);
    }

    @Test
    void nothingListeningIsAnIOExceptionOrStatusMinusOne() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closed + "/";

        assertThatThrownBy(() -> HttpGet.get(url, TIMEOUT, TIMEOUT)).isInstanceOf(IOException.class);
        assertThat(HttpGet.status(url, TIMEOUT, TIMEOUT)).isEqualTo(-1);
        assertThat(HttpGet.status("not a url", TIMEOUT, TIMEOUT)).isEqualTo(-1);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private static void answer(com.sun.net.httpserver.HttpExchange e, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        e.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = e.getResponseBody()) {
            out.write(bytes);
        }
    }
}

package io.natsoak.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority made with the JDK's own keytool (no extra library): a CA,
 * a server certificate for 127.0.0.1/localhost, a client certificate, the PEM files nats-server
 * reads and the PKCS12 stores natsoak reads. Valid for two days.
 */
final class TestPki {

    static final String PASSWORD = "changeit-" + Long.toHexString(System.nanoTime());

    final Path caPem;
    final Path serverCertPem;
    final Path serverKeyPem;
    /** PKCS12 with the CA certificate: natsoak.nats.tls.truststore. */
    final Path truststore;
    /** PKCS12 with the client key and its chain: natsoak.nats.tls.keystore. */
    final Path clientKeystore;
    /** A client certificate from another CA: a server that verifies clients must refuse it. */
    final Path strangerKeystore;

    private TestPki(Path dir) {
        caPem = dir.resolve("ca.pem");
        serverCertPem = dir.resolve("server.pem");
        serverKeyPem = dir.resolve("server-key.pem");
        truststore = dir.resolve("truststore.p12");
        clientKeystore = dir.resolve("client.p12");
        strangerKeystore = dir.resolve("stranger.p12");
    }

    static TestPki create(Path dir) throws Exception {
        Files.createDirectories(dir);
        TestPki pki = new TestPki(dir);
        Path ca = dir.resolve("ca.p12");
        keytool(dir, "-genkeypair", "-keystore", ca.toString(), "-alias", "ca", "-dname", "CN=natsoak test CA", "-ext", "bc:c");
        Certificate caCert = load(ca).getCertificate("ca");
        Files.writeString(pki.caPem, pem("CERTIFICATE", caCert.getEncoded()));

        Path server = dir.resolve("server.p12");
        keytool(dir, "-genkeypair", "-keystore", server.toString(), "-alias", "server", "-dname", "CN=localhost");
        Certificate serverCert = sign(dir, ca, server, "server", "san=ip:127.0.0.1,dns:localhost", "eku=serverAuth");
        Files.writeString(pki.serverCertPem, pem("CERTIFICATE", serverCert.getEncoded()));
        Files.writeString(pki.serverKeyPem, pem("PRIVATE KEY", ((PrivateKey) load(server).getKey("server", PASSWORD.toCharArray())).getEncoded()));

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", caCert);
        store(trust, pki.truststore);

        Path client = dir.resolve("client-self.p12");
        keytool(dir, "-genkeypair", "-keystore", client.toString(), "-alias", "client", "-dname", "CN=natsoak-client");
        Certificate clientCert = sign(dir, ca, client, "client", "eku=clientAuth");
        KeyStore clientStore = load(client);
        PrivateKey clientKey = (PrivateKey) clientStore.getKey("client", PASSWORD.toCharArray());
        clientStore.setKeyEntry("client", clientKey, PASSWORD.toCharArray(), new Certificate[]{clientCert, caCert});
        store(clientStore, pki.clientKeystore);

        // Self-signed, so signed by no CA the server knows.
        keytool(dir, "-genkeypair", "-keystore", pki.strangerKeystore.toString(), "-alias", "stranger", "-dname", "CN=stranger");
        return pki;
    }

    private static Certificate sign(Path dir, Path ca, Path store, String alias, String... extensions) throws Exception {
        Path csr = dir.resolve(alias + ".csr");
        Path crt = dir.resolve(alias + ".crt");
        keytool(dir, "-certreq", "-keystore", store.toString(), "-alias", alias, "-file", csr.toString());
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-keystore", ca.toString(), "-alias", "ca", "-infile", csr.toString(),
                "-outfile", crt.toString(), "-rfc"));
        for (String ext : extensions) {
            gencert.add("-ext");
            gencert.add(ext);
        }
        keytool(dir, gencert.toArray(String[]::new));
        try (InputStream in = Files.newInputStream(crt)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storepass", PASSWORD, "-storetype", "PKCS12"));
        if (args[0].equals("-genkeypair")) {
            cmd.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1", "-keypass", PASSWORD, "-validity", "2"));
        } else if (args[0].equals("-gencert")) {
            cmd.addAll(List.of("-validity", "2"));
        }
        Path out = dir.resolve("keytool.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + Files.readString(out));
        }
    }

    private static KeyStore load(Path file) throws Exception {
        return KeyStore.getInstance(file.toFile(), PASSWORD.toCharArray());
    }

    private static void store(KeyStore ks, Path file) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, PASSWORD.toCharArray());
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}

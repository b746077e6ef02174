package io.natsoak.testing;

import io.natsoak.local.NatsCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Starts one real nats-server JetStream cluster per test class (fresh store dirs under
 * {@code target/nats-clusters/<TestClass>-<random>}) and always tears it down in afterAll.
 * <p>
 * Usage: {@code @RegisterExtension static NatsClusterExtension nats = new NatsClusterExtension(3);} or
 * {@code @ExtendWith(NatsClusterExtension.class)} (3 nodes). Test methods may declare parameters of type
 * {@link NatsCluster} or {@link NatsClusterExtension}.
 * <p>
 * System properties: {@code natsoak.nats-server} (binary path or name, default {@code nats-server}),
 * {@code natsoak.nats.keepData=true} keeps the cluster directory after the class.
 * If nats-server cannot be found the class FAILS (it is not skipped).
 * <p>
 * The class's cluster runs the system's nats-server; {@link #on(NatsServerVersion)} gives a matrix
 * test a cluster of another version, started on first use and closed with the class's.
 */
public class NatsClusterExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    public static final String BINARY_PROPERTY = "natsoak.nats-server";
    public static final String KEEP_DATA_PROPERTY = "natsoak.nats.keepData";

    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int nodes;
    private volatile NatsCluster cluster;
    private volatile String ownerId;
    private volatile String className = "NatsCluster";
    private final Map<NatsServerVersion, NatsClusterExtension> otherVersions = new EnumMap<>(NatsServerVersion.class);

    /** 3-node cluster (used by {@code @ExtendWith}). */
    public NatsClusterExtension() {
        this(3);
    }

    public NatsClusterExtension(int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1, got " + nodes);
        }
        this.nodes = nodes;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (cluster != null) {
            return; // already started by an enclosing class (@Nested)
        }
        String configured = System.getProperty(BINARY_PROPERTY, "nats-server");
        Optional<String> binary = NatsCluster.findBinary(configured);
        if (binary.isEmpty()) {
            throw new IllegalStateException("nats-server binary not found (configured '" + configured
                    + "', searched PATH, /usr/sbin, /usr/local/bin, /usr/bin): install it with `apt-get install nats-server`"
                    + " or set -D" + BINARY_PROPERTY + "=/path/to/nats-server");
        }
        className = context.getTestClass().map(Class::getSimpleName).orElse("NatsCluster");
        cluster = startCluster(binary.get(), className);
        ownerId = context.getUniqueId();
    }

    private NatsCluster startCluster(String binary, String name) {
        Path dir = projectDir().resolve("target").resolve("nats-clusters")
                .resolve(name + "-" + randomAlnum(8).toLowerCase(Locale.ROOT));
        NatsCluster c = new NatsCluster(binary, dir, nodes, Boolean.getBoolean(KEEP_DATA_PROPERTY));
        try {
            c.start();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * A cluster of the given version for this class: this one for 2.9 (the system's nats-server),
     * otherwise one started on first use (same node count) and closed in afterAll with this one.
     */
    public synchronized NatsClusterExtension on(NatsServerVersion version) {
        cluster(); // only inside the class's tests
        if (version == NatsServerVersion.V2_9) {
            return this;
        }
        NatsClusterExtension other = otherVersions.get(version);
        if (other == null) {
            other = new NatsClusterExtension(nodes);
            other.cluster = startCluster(version.binary(), className + "-" + version.line().replace('.', '_'));
            otherVersions.put(version, other);
        }
        return other;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        NatsCluster c = cluster;
        if (c != null && context.getUniqueId().equals(ownerId)) {
            synchronized (this) {
                for (NatsClusterExtension other : otherVersions.values()) {
                    other.cluster().close();
                }
                otherVersions.clear();
            }
            cluster = null;
            ownerId = null;
            c.close();
        }
    }

    /** The running cluster; only valid between beforeAll and afterAll. */
    public NatsCluster cluster() {
        NatsCluster c = cluster;
        if (c == null) {
            throw new IllegalStateException("NATS cluster not started (use it only inside tests of the class)");
        }
        return c;
    }

    /** Client URLs of all nodes. */
    public List<String> urls() {
        return cluster().clientUrls();
    }

    /**
     * Unique name safe for NATS streams/consumers/subject tokens: {@code prefix + "_" + 8 random [A-Z0-9]}.
     * Characters in the prefix that NATS names forbid ({@code . * > / \} and whitespace) become {@code _}.
     */
    public String uniqueName(String prefix) {
        String p = prefix == null || prefix.isBlank() ? "T" : prefix.replaceAll("[.*>/\\\\\\s]", "_");
        return p + "_" + randomAlnum(8);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        Class<?> type = parameterContext.getParameter().getType();
        return type == NatsCluster.class || type == NatsClusterExtension.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
            throws ParameterResolutionException {
        Class<?> type = parameterContext.getParameter().getType();
        if (type == NatsClusterExtension.class) {
            return this;
        }
        if (cluster == null) {
            throw new ParameterResolutionException("NATS cluster not started");
        }
        return cluster;
    }

    private static Path projectDir() {
        String basedir = System.getProperty("basedir");
        return (basedir != null && !basedir.isBlank() ? Paths.get(basedir) : Paths.get("")).toAbsolutePath();
    }

    private static String randomAlnum(int len) {
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append(ALNUM.charAt(RANDOM.nextInt(ALNUM.length())));
        }
        return sb.toString();
    }
}

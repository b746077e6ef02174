package io.natsoak.local;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One role running as a separate OS process of the same application (the way a pod runs it),
 * with its output in its own log file. Can be SIGKILLed, SIGTERMed and started again.
 */
public final class RoleProcess {

    private static final Logger LOG = Logger.getLogger(RoleProcess.class);

    private final String name;
    private final String role;
    private final List<String> command;
    private final Path log;
    private final int httpPort;
    private Process process;
    private int starts;

    /**
     * @param java      the java executable
     * @param jar       the application's quarkus-run.jar
     * @param settings  natsoak.* and quarkus.* settings, passed as system properties
     */
    public RoleProcess(String name, String role, String java, List<String> jvmOptions, Path jar, Map<String, String> settings,
                       Path logDir, int httpPort) {
        this.name = name;
        this.role = role;
        this.httpPort = httpPort;
        this.log = logDir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-Dquarkus.http.port=" + httpPort);
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add("run");
        cmd.add(role);
        this.command = List.copyOf(cmd);
    }

    public String name() {
        return name;
    }

    public String role() {
        return role;
    }

    public int httpPort() {
        return httpPort;
    }

    public Path log() {
        return log;
    }

    /** How many times this process was started (1 + restarts). */
    public synchronized int starts() {
        return starts;
    }

    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        process = new ProcessBuilder(Detached.command(command))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        starts++;
        LOG.debugf("started %s (pid %d)", name, process.pid());
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** Exit code, or -1 while running or never started. */
    public synchronized int exitCode() {
        return process == null || process.isAlive() ? -1 : process.exitValue();
    }

    /** SIGKILL: a real crash, nothing runs on the way out. */
    public synchronized void kill() {
        if (process != null && process.isAlive()) {
            ProcessStop.kill(process);
        }
    }

    /** SIGTERM, then SIGKILL if the process has not exited within {@code graceSeconds}. */
    public void terminate(long graceSeconds) {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p != null) {
            ProcessStop.stop(name, p, Duration.ofSeconds(graceSeconds));
        }
    }

    /** Waits for the process to exit; true if it did within the time. */
    public boolean await(long seconds) {
        Process p;
        synchronized (this) {
            p = process;
        }
        return p == null || ProcessStop.awaitExit(p, Duration.ofSeconds(seconds));
    }
}

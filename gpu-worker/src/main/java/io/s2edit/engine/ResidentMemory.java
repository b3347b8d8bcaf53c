package io.s2edit.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident set size (Linux {@code /proc/self/status} VmRSS): the Java heap that was
 * touched plus native (libtorch) memory. Memory checks and benchmarks read it to show that a long
 * run stays flat.
 */
public final class ResidentMemory {

    private ResidentMemory() {
    }

    /** VmRSS in KiB; fails where there is no {@code /proc/self/status} (not Linux). */
    public static long kib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/status (resident memory is read on Linux only)", e);
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status");
    }
}

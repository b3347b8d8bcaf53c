package io.s2edit.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The timed samples of one benchmark operation (wall clock and process CPU time, in ms) and the
 * statistics the bench commands print: {@code median_ms}, {@code min_ms}, {@code max_ms},
 * {@code samples_ms} and {@code cpu_median_ms}. Process CPU time (user + system, all threads) moves
 * far less than wall time when other work shares the cores.
 */
final class BenchSamples {

    private static final com.sun.management.OperatingSystemMXBean CPU =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** A point in wall-clock and process-CPU time. */
    record Mark(long nanos, long cpuNanos) {
        static Mark now() {
            long cpu = CPU.getProcessCpuTime();
            return new Mark(System.nanoTime(), cpu);
        }

        /** The span from {@code earlier} to this mark, in ms. */
        Span since(Mark earlier) {
            return new Span((nanos - earlier.nanos) / 1e6, (cpuNanos - earlier.cpuNanos) / 1e6);
        }
    }

    /** A duration in wall and CPU ms. */
    record Span(double wallMs, double cpuMs) {
        Span plus(Span other) {
            return new Span(wallMs + other.wallMs, cpuMs + other.cpuMs);
        }

        Span minus(Span other) {
            return new Span(wallMs - other.wallMs, cpuMs - other.cpuMs);
        }

        Span div(double divisor) {
            return new Span(wallMs / divisor, cpuMs / divisor);
        }
    }

    private final List<Span> spans = new ArrayList<>();

    void add(Span span) {
        spans.add(span);
    }

    int size() {
        return spans.size();
    }

    /** Writes the statistics into {@code line} and returns it. */
    ObjectNode writeTo(ObjectNode line) {
        if (spans.isEmpty()) {
            throw new IllegalStateException("no samples to report");
        }
        double[] wall = spans.stream().mapToDouble(Span::wallMs).toArray();
        double[] sorted = wall.clone();
        Arrays.sort(sorted);
        line.put("median_ms", round(median(sorted))).put("min_ms", round(sorted[0]))
                .put("max_ms", round(sorted[sorted.length - 1]));
        Arrays.stream(wall).forEach(s -> line.withArray("samples_ms").add(round(s)));
        double[] cpu = spans.stream().mapToDouble(Span::cpuMs).sorted().toArray();
        line.put("cpu_median_ms", round(median(cpu)));
        return line;
    }

    /**
     * Starts DJL's PyTorch engine with {@code threads} intra-op threads (0: DJL's default, the
     * core count). DJL reads {@code ai.djl.pytorch.num_threads} when the engine starts.
     */
    static void startEngine(int threads) {
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        Engine.getInstance();
        if (threads > 0 && JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double round(double ms) {
        return Math.round(ms * 100) / 100.0;
    }
}

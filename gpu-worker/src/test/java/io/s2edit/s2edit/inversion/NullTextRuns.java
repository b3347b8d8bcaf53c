package io.s2edit.s2edit.inversion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.management.OperatingSystemMXBean;
import io.s2edit.engine.Progress;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.testing.Reference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Java runs of Null-text inversion on the input of {@code tools/reference/null_text_reference.py}
 * ({@code outputs/tiny-null-text.*}), each computed once per JVM and shared by the test classes:
 * the main run alone costs 100 UNet forward + backward passes. The model and the arrays live until
 * the JVM exits.
 *
 * <p>Runs are named by their tensor prefix in the reference: {@link #MAIN} (N = 10, guidance 5,
 * the notebook's early stop) and {@link #EARLY} (N = 3 with a threshold that stops step 0 early).
 */
final class NullTextRuns {

    static final String MAIN = "";
    static final String EARLY = "early.";

    /** One inversion with the progress it reported ("stage step/total"). */
    record Run(InversionResult result, List<String> progress) {
    }

    private static final OperatingSystemMXBean PROCESS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static NullTextRuns shared;

    final Reference ref;
    final NDManager manager;
    final StableDiffusion model;
    final NullTextInversion inversion;
    /** The source image [1, 3, 16, 16] in [-1, 1]. */
    final NDArray image;
    /** Java's embedding of the reference prompt and of "" [1, 77, D]. */
    final NDArray conditional;
    final NDArray empty;
    private final Map<String, Run> runs = new HashMap<>();
    private final Map<String, Reconstruction> reconstructions = new HashMap<>();

    private NullTextRuns() throws IOException {
        ref = Reference.open("tiny-null-text");
        manager = NDManager.newBaseManager();
        model = StableDiffusion.load(Reference.root().resolve(ref.facts().path("checkpoint").asText()), manager);
        inversion = new NullTextInversion(model);
        image = ref.tensor("image", manager);
        try (NDScope scope = new NDScope()) {
            conditional = Scopes.keep(model.encodePrompt(ref.facts().path("prompt").asText()), manager);
            empty = Scopes.keep(model.encodePrompt(""), manager);
        }
    }

    static synchronized NullTextRuns get() {
        if (shared == null) {
            try {
                shared = new NullTextRuns();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** The reference's facts of one run (steps, guidance, loss_trace, iterations, errors, ...). */
    JsonNode facts(String run) {
        return ref.facts().path("runs").path(run);
    }

    /** The options the reference used for {@code run}. */
    NullTextOptions options(String run) {
        JsonNode f = facts(run);
        return new NullTextOptions(f.path("steps").asInt(), f.path("guidance").asDouble(), f.path("inner_steps").asInt(),
                f.path("early_stop_epsilon").asDouble(), f.path("early_stop_slope").asDouble());
    }

    /** The shared Java run of {@code run}, computed on first use. */
    synchronized Run run(String run) {
        return runs.computeIfAbsent(run, r -> fresh(options(r), manager));
    }

    /** Guided DDIM from the run's x_T with its null embeddings (prompt and guidance of the run), computed once. */
    synchronized Reconstruction nullTextReconstruction(String run) {
        return reconstructions.computeIfAbsent("null-text " + run, k -> {
            InversionResult result = run(run).result();
            return inversion.reconstruct(result, conditional, result.options().guidance(), manager, Progress.NONE);
        });
    }

    /** Guided DDIM from the run's x_T with "" as every step's unconditional context (DDIM inversion alone), computed once. */
    synchronized Reconstruction plainReconstruction(String run) {
        return reconstructions.computeIfAbsent("plain " + run, k -> {
            InversionResult result = run(run).result();
            return inversion.reconstructWithoutNullText(result, conditional, empty, result.options().guidance(), manager,
                    Progress.NONE);
        });
    }

    /** A new inversion of the reference input, owned by {@code out}; prints wall and process CPU time per step. */
    Run fresh(NullTextOptions options, NDManager out) {
        List<String> progress = new ArrayList<>();
        long cpuStart = PROCESS.getProcessCpuTime();
        long start = System.nanoTime();
        InversionResult result = inversion.invert(image, conditional, empty, options, out,
                (stage, step, total) -> progress.add(stage + " " + step + "/" + total));
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (PROCESS.getProcessCpuTime() - cpuStart) / 1e9;
        System.out.printf("[NullTextRuns] steps %d, inner %d: %.1f s wall (%.2f s per step), %.1f s CPU (%.2f s per step); "
                + "iterations %s%n", options.steps(), options.innerSteps(), seconds, seconds / options.steps(), cpuSeconds,
                cpuSeconds / options.steps(), result.steps().stream().map(s -> s.iterations()).toList());
        return new Run(result, progress);
    }
}

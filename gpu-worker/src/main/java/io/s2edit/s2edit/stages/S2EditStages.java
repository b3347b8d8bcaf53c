package io.s2edit.s2edit.stages;

import io.s2edit.engine.Progress;
import io.s2edit.engine.pipeline.StableDiffusion;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The three stages of S2Edit as file-in, file-out steps: what the worker's job processors and the
 * local commands run. Output files carry the names of the artifact layout ({@link StageFiles}).
 *
 * <p>Models: {@link #fineTune} changes the model it is given (afterwards it is the fine-tuned
 * model); {@link #applyFineTune} rebuilds that state on a freshly loaded base from the files
 * fine-tuning wrote, so any process can continue an identity's chain.
 */
public interface S2EditStages {

    /**
     * Stage 1 (§3.1-3.2, §3.3 when {@code input.reference()} is present): learns [I] (and [A]) and
     * fine-tunes the UNet and text encoder; writes {@link StageFiles#TOKEN_EMBEDDINGS},
     * {@link StageFiles#WEIGHT_DELTA} and {@link StageFiles#OBJECT_MASK} into {@code outDir}.
     */
    StageSummary fineTune(StableDiffusion base, FineTuneInput input, Path outDir, Progress progress) throws IOException;

    /** Turns a freshly loaded base model into the fine-tuned one described by {@code fineTuneDir}. */
    void applyFineTune(StableDiffusion freshBase, Path fineTuneDir) throws IOException;

    /**
     * Stage 2: Null-text inversion of the source image under the fine-tuned model; writes
     * {@link StageFiles#LATENTS} (x_T and one null embedding per step) into {@code outDir}.
     */
    StageSummary invert(StableDiffusion tuned, InvertInput input, Path fineTuneDir, Path outDir, Progress progress)
            throws IOException;

    /**
     * Stage 3: Prompt-to-Prompt editing from the inverted noise with the [I] mask; writes
     * {@code 0.png, 1.png, ...} (one per target prompt, in order) into {@code outDir}.
     */
    StageSummary edit(StableDiffusion tuned, EditInput input, Path fineTuneDir, Path invertDir, Path outDir,
            Progress progress) throws IOException;
}

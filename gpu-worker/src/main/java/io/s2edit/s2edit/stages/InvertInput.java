package io.s2edit.s2edit.stages;

import io.s2edit.s2edit.inversion.NullTextOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Inputs of Null-text inversion.
 *
 * @param sourcePrompt the enhanced source prompt (with [I] when fine-tuned)
 * @param guidance the guidance scale editing will use (null embeddings only reproduce the image at it)
 * @param innerSteps the most Adam iterations on the null embedding per denoising step (10,
 *     {@link #DEFAULT_INNER_STEPS}, as {@link NullTextOptions#DEFAULT}); 0 leaves plain DDIM inversion
 */
public record InvertInput(Path image, String sourcePrompt, int steps, double guidance, int innerSteps) {

    /** The paper's inner iterations per step. */
    public static final int DEFAULT_INNER_STEPS = NullTextOptions.DEFAULT.innerSteps();

    /** The most inner iterations per step. */
    public static final int MAX_INNER_STEPS = 100;

    public InvertInput {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(sourcePrompt, "source prompt");
        if (steps < 1 || steps > NullTextOptions.MAX_STEPS) {
            throw new IllegalArgumentException("inversion steps must be in [1, " + NullTextOptions.MAX_STEPS + "], got " + steps);
        }
        if (!(guidance >= 1 && guidance <= 20)) {
            throw new IllegalArgumentException("guidance must be in [1, 20], got " + guidance);
        }
        if (innerSteps < 0 || innerSteps > MAX_INNER_STEPS) {
            throw new IllegalArgumentException("inner steps must be in [0, " + MAX_INNER_STEPS + "], got " + innerSteps
                    + " (Null-text iterations per step; " + DEFAULT_INNER_STEPS + " by default, 0: plain DDIM inversion)");
        }
    }
}

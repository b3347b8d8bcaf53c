package io.s2edit.s2edit.stages;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Inputs of Null-text inversion.
 *
 * @param sourcePrompt the enhanced source prompt (with [I] when fine-tuned)
 * @param guidance the guidance scale editing will use (null embeddings only reproduce the image at it)
 */
public record InvertInput(Path image, String sourcePrompt, int steps, double guidance) {
    public InvertInput {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(sourcePrompt, "source prompt");
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("inversion steps must be in [1, 1000], got " + steps);
        }
        if (!(guidance >= 1 && guidance <= 20)) {
            throw new IllegalArgumentException("guidance must be in [1, 20], got " + guidance);
        }
    }
}

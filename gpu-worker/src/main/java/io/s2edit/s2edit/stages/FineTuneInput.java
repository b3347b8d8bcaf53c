package io.s2edit.s2edit.stages;

import io.s2edit.s2edit.mask.ObjectMaskExtractor;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Inputs of identity fine-tuning.
 *
 * @param image the source image
 * @param sourcePrompt the enhanced source prompt with {@code [I]} exactly once ("a photo of a [I] lady")
 * @param objectWord the word naming the object, exactly once in the prompt ("lady")
 * @param userMask a mask image replacing the one taken from cross-attention, or null
 * @param reference the reference image and its {@code [A]} prompt for compositional editing, or null
 * @param identityFineTune false skips fine-tuning (the Null-text inversion + P2P baseline)
 * @param semanticControl adds lambda |cos(e_P, e_[I])| (Eq. 1-2)
 * @param spatialControl masks [I]'s cross-attention with M_obj (Eq. 3)
 * @param maskThreshold binarisation threshold of M_obj taken from cross-attention (0.3)
 * @param maskSteps DDIM-inversion steps whose cross-attention maps are averaged into M_obj
 *     ({@link ObjectMaskExtractor}; 50, {@link #DEFAULT_MASK_STEPS}); used only
 *     with spatial control and no user mask
 */
public record FineTuneInput(Path image, String sourcePrompt, String objectWord, Path userMask, Reference reference,
        int steps, double learningRate, long seed, boolean identityFineTune, boolean semanticControl,
        boolean spatialControl, double semanticWeight, double maskThreshold, int maskSteps) {

    /** The mask pass's steps by default, those of {@link ObjectMaskExtractor.Options#defaults()}. */
    public static final int DEFAULT_MASK_STEPS = ObjectMaskExtractor.Options.defaults().steps();

    /** The most mask steps, as {@link ObjectMaskExtractor.Options} accepts. */
    public static final int MAX_MASK_STEPS = 1000;

    /** The second image of §3.3: its prompt holds {@code [A]} and its own object word. */
    public record Reference(Path image, String prompt, String objectWord, Path userMask) {
        public Reference {
            Objects.requireNonNull(image, "reference image");
            Objects.requireNonNull(prompt, "reference prompt");
            Objects.requireNonNull(objectWord, "reference object word");
        }
    }

    public FineTuneInput {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(sourcePrompt, "source prompt");
        Objects.requireNonNull(objectWord, "object word");
        if (steps < 0) {
            throw new IllegalArgumentException("fine-tune steps must be >= 0, got " + steps);
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
        if (!(maskThreshold > 0 && maskThreshold < 1)) {
            throw new IllegalArgumentException("mask threshold must be in (0, 1), got " + maskThreshold);
        }
        if (maskSteps < 1 || maskSteps > MAX_MASK_STEPS) {
            throw new IllegalArgumentException("mask steps must be in [1, " + MAX_MASK_STEPS + "], got " + maskSteps
                    + " (DDIM-inversion steps of the mask pass; " + DEFAULT_MASK_STEPS + " by default)");
        }
    }
}

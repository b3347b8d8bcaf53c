package io.s2edit.s2edit.stages;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Inputs of Prompt-to-Prompt editing from the inverted noise.
 *
 * @param sourcePrompt the prompt the inversion used
 * @param targets target prompts, edited together in one batched pass
 * @param crossReplace fraction of steps whose cross-attention comes from the source (0.8)
 * @param selfReplace fraction of steps whose self-attention comes from the source (0.4)
 * @param reweight word -> scale of its cross-attention (may be empty)
 * @param localBlendWords words whose attention bounds the edited region (empty: no local blend)
 * @param localBlendThreshold threshold of the local-blend mask (0.3)
 * @param steps must equal the inversion's
 * @param guidance must equal the inversion's
 */
public record EditInput(String sourcePrompt, List<String> targets, double crossReplace, double selfReplace,
        Map<String, Double> reweight, List<String> localBlendWords, double localBlendThreshold, int steps,
        double guidance) {
    public EditInput {
        Objects.requireNonNull(sourcePrompt, "source prompt");
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("at least one target prompt is required");
        }
        reweight = Map.copyOf(reweight);
        localBlendWords = List.copyOf(localBlendWords);
        if (!(crossReplace >= 0 && crossReplace <= 1) || !(selfReplace >= 0 && selfReplace <= 1)) {
            throw new IllegalArgumentException("replace fractions must be in [0, 1], got cross " + crossReplace
                    + ", self " + selfReplace);
        }
    }
}

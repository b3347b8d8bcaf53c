package io.s2edit.common.messages;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.prompts.PromptRules;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.Require;

import java.util.List;

/**
 * Prompt-to-Prompt editing from the inverted noise (Hertz et al.; Liu et al., Sec. 3.3). One
 * edit job renders one image per target prompt, {@code {n}.png} for the n-th.
 *
 * @param targetPrompts     1..8 enhanced target prompts, each with {@code [I]} exactly once
 *                          ("a photo of a [I] lady with bangs")
 * @param crossReplaceSteps fraction of steps whose cross-attention maps come from the source (0.8)
 * @param selfReplaceSteps  fraction of steps whose self-attention maps come from the source (0.4)
 * @param reweight          words whose cross-attention is scaled (P2P "Reweight"); may be empty
 * @param localBlend        keep the source outside these words' attention mask; null for none
 * @param steps             DDIM steps; null takes the inversion's (must equal it)
 * @param guidance          guidance scale; null takes the inversion's (must equal it)
 * @param seed              seed for any stochastic part; null lets the gateway pick one
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record EditOptions(List<String> targetPrompts, Double crossReplaceSteps, Double selfReplaceSteps,
                          List<Reweight> reweight, LocalBlend localBlend, Integer steps, Double guidance, Long seed) {

    public static final double DEFAULT_CROSS_REPLACE_STEPS = 0.8;
    public static final double DEFAULT_SELF_REPLACE_STEPS = 0.4;
    public static final int MAX_TARGET_PROMPTS = 8;

    public EditOptions {
        targetPrompts = List.copyOf(Require.sized("target_prompts", targetPrompts, 1, MAX_TARGET_PROMPTS));
        for (int i = 0; i < targetPrompts.size(); i++) {
            String field = "target_prompts[" + i + "]";
            PromptRules.requireIdentityToken(field, targetPrompts.get(i));
            PromptRules.requireFitsClip(field, targetPrompts.get(i));
        }
        crossReplaceSteps = Require.between("cross_replace_steps",
                crossReplaceSteps == null ? DEFAULT_CROSS_REPLACE_STEPS : crossReplaceSteps, 0, 1);
        selfReplaceSteps = Require.between("self_replace_steps",
                selfReplaceSteps == null ? DEFAULT_SELF_REPLACE_STEPS : selfReplaceSteps, 0, 1);
        reweight = reweight == null ? List.of() : List.copyOf(reweight);
        for (Reweight r : reweight) {
            final List<String> prompts = targetPrompts;
            if (prompts.stream().noneMatch(p -> PromptRules.countWord(p, r.word()) > 0)) {
                throw new InvalidValueException("reweight", "reweight word \"" + r.word()
                        + "\" appears in no target prompt " + prompts);
            }
        }
        if (steps != null) {
            Require.between("steps", steps, 1, InvertOptions.MAX_STEPS); // an edit runs at its inversion's steps
        }
        if (guidance != null) {
            Require.between("guidance", guidance, 1.0, 20.0);
        }
    }

    /** These options with steps, guidance and seed filled in. */
    public EditOptions resolved(int newSteps, double newGuidance, long newSeed) {
        return new EditOptions(targetPrompts, crossReplaceSteps, selfReplaceSteps, reweight, localBlend,
                newSteps, newGuidance, seed == null ? newSeed : seed);
    }

    /**
     * Scale one word's cross-attention (P2P "Reweight").
     *
     * @param word  a word of the target prompt
     * @param scale factor in [-10, 10]; 1 leaves it unchanged
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Reweight(String word, Double scale) {
        public Reweight {
            PromptRules.requireSingleWord("reweight.word", word);
            Require.between("reweight.scale", Require.present("reweight.scale", scale), -10.0, 10.0);
        }
    }

    /**
     * P2P local blending: only the region of these words changes.
     *
     * @param words     1..8 words, each in the source or a target prompt
     * @param threshold mask threshold on the normalised attention (0.3)
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record LocalBlend(List<String> words, Double threshold) {
        public static final double DEFAULT_THRESHOLD = 0.3;

        public LocalBlend {
            words = List.copyOf(Require.sized("local_blend.words", words, 1, 8));
            words.forEach(w -> PromptRules.requireSingleWord("local_blend.words", w));
            threshold = Require.aboveAtMost("local_blend.threshold", threshold == null ? DEFAULT_THRESHOLD : threshold, 0, 1);
        }
    }
}

package io.s2edit.s2edit.edit;

import io.s2edit.s2edit.p2p.CrossReplaceSchedule;
import io.s2edit.s2edit.p2p.CrossReplaceSchedule.Window;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a Prompt-to-Prompt edit treats attention, with the defaults of the reference notebooks
 * ({@code null_text_w_ptp.ipynb}, {@code prompt-to-prompt_stable.ipynb}). Immutable; start from
 * {@link #defaults()} and change fields with the {@code with...} methods.
 *
 * @param steps              N, the number of DDIM steps (with Null-text inversion: the number of
 *                           null embeddings)
 * @param mode               how target tokens find their source token: {@link Mode#AUTO} picks
 *                           replace or refine per target
 * @param cross              the steps at which target cross-attention maps are taken from the source,
 *                           as fractions; steps {@code [(int) (start (N + 1)), (int) (end (N + 1)))}
 *                           as {@link CrossReplaceSchedule} (default: the first 0.8)
 * @param crossPerWord       per-word windows that override {@code cross} for the tokens of a target
 *                           word, applied in iteration order (default none)
 * @param self               the steps at which target self-attention maps are the source's:
 *                           {@code [(int) (start N), (int) (end N))} (the reference rounds self
 *                           steps against N, cross steps against N + 1; default the first 0.4)
 * @param selfMaxQueryLength self-attention maps are replaced only where the query has at most this
 *                           many positions: 16 x 16 = 256 in {@code prompt-to-prompt_stable.ipynb}
 *                           (the default), 32 x 32 in {@code null_text_w_ptp.ipynb}
 * @param reweight           per-word factors on the edited cross-attention maps, or null
 * @param localBlend         keep the source outside the blend words' region, or null
 */
public record EditOptions(int steps, Mode mode, Window cross, Map<String, Window> crossPerWord, Window self,
        long selfMaxQueryLength, Reweight reweight, LocalBlendOptions localBlend) {

    /** The reference's DDIM step count. */
    public static final int DEFAULT_STEPS = 50;
    /** The notebooks' self-replace fraction ({@code self_replace_steps = .4}). */
    public static final double DEFAULT_SELF_FRACTION = 0.4;
    /** 16 x 16 query positions, as {@code prompt-to-prompt_stable.ipynb}. */
    public static final long DEFAULT_SELF_MAX_QUERY_LENGTH = 16 * 16;

    /** How each target prompt's tokens are matched to the source prompt's. */
    public enum Mode {
        /** Replace when source and target have the same number of words, refine otherwise. */
        AUTO,
        /** Word swap: the [77, 77] mapper of {@code ReplaceMapper} (same word count required). */
        REPLACE,
        /** Aligned insertions and deletions: {@code RefineMapper}; new tokens keep their own maps. */
        REFINE
    }

    public EditOptions {
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("steps must be in [1, 1000], got " + steps);
        }
        Objects.requireNonNull(mode, "mode (AUTO, REPLACE or REFINE)");
        Objects.requireNonNull(cross, "cross window");
        Objects.requireNonNull(self, "self window");
        crossPerWord = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(crossPerWord,
                "crossPerWord (pass an empty map for none)")));
        crossPerWord.forEach((word, window) -> {
            Objects.requireNonNull(word, "per-word cross window: word");
            Objects.requireNonNull(window, "per-word cross window for \"" + word + "\"");
        });
        if (selfMaxQueryLength < 0) {
            throw new IllegalArgumentException("selfMaxQueryLength must be >= 0 (0 turns self-attention replacement"
                    + " off; 256 = 16x16 is the reference default), got " + selfMaxQueryLength);
        }
    }

    /**
     * 50 steps, automatic mode, cross-attention replaced for the first 0.8 of the steps,
     * self-attention for the first 0.4 at 16 x 16 and coarser, no reweighting, no local blend.
     */
    public static EditOptions defaults() {
        return new EditOptions(DEFAULT_STEPS, Mode.AUTO, Window.until(CrossReplaceSchedule.DEFAULT_FRACTION),
                Map.of(), Window.until(DEFAULT_SELF_FRACTION), DEFAULT_SELF_MAX_QUERY_LENGTH, null, null);
    }

    public EditOptions withSteps(int value) {
        return new EditOptions(value, mode, cross, crossPerWord, self, selfMaxQueryLength, reweight, localBlend);
    }

    public EditOptions withMode(Mode value) {
        return new EditOptions(steps, value, cross, crossPerWord, self, selfMaxQueryLength, reweight, localBlend);
    }

    /** Cross-attention replaced for the first {@code fraction} of the steps. */
    public EditOptions withCross(double fraction) {
        return withCross(Window.until(fraction));
    }

    public EditOptions withCross(Window value) {
        return new EditOptions(steps, mode, value, crossPerWord, self, selfMaxQueryLength, reweight, localBlend);
    }

    /** Adds (or replaces) the window of one target word; later words win on shared tokens. */
    public EditOptions withCrossWord(String word, Window window) {
        Map<String, Window> next = new LinkedHashMap<>(crossPerWord);
        next.remove(word);
        next.put(word, window);
        return new EditOptions(steps, mode, cross, next, self, selfMaxQueryLength, reweight, localBlend);
    }

    /** Self-attention replaced for the first {@code fraction} of the steps. */
    public EditOptions withSelf(double fraction) {
        return withSelf(Window.until(fraction));
    }

    public EditOptions withSelf(Window value) {
        return new EditOptions(steps, mode, cross, crossPerWord, value, selfMaxQueryLength, reweight, localBlend);
    }

    public EditOptions withSelfMaxQueryLength(long value) {
        return new EditOptions(steps, mode, cross, crossPerWord, self, value, reweight, localBlend);
    }

    public EditOptions withReweight(Reweight value) {
        return new EditOptions(steps, mode, cross, crossPerWord, self, selfMaxQueryLength, value, localBlend);
    }

    public EditOptions withLocalBlend(LocalBlendOptions value) {
        return new EditOptions(steps, mode, cross, crossPerWord, self, selfMaxQueryLength, reweight, value);
    }

    /** First step whose self-attention is replaced: {@code (int) (self.start N)}. */
    public int selfStartStep() {
        return (int) (self.start() * steps);
    }

    /** Step where self-attention replacement stops (exclusive): {@code (int) (self.end N)}. */
    public int selfEndStep() {
        return (int) (self.end() * steps);
    }
}

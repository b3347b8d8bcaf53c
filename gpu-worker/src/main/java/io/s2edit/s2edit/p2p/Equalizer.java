package io.s2edit.s2edit.p2p;

import io.s2edit.common.clip.ClipTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Prompt-to-Prompt's attention reweighting (paper §3.2, "attention re-weighting"): a [T] vector
 * of factors that multiplies the target's cross-attention maps token by token
 * ({@code AttentionReweight}: {@code attn * equalizer[None, None, :]}); 1 for every token not
 * selected. Mirrors {@code get_equalizer} of {@code null_text_w_ptp.ipynb}: each selected word
 * (by text, every occurrence, or by word index) gets its own factor, applied in call order, so a
 * later word wins where two select the same token. ({@code prompt-to-prompt_stable.ipynb}'s
 * variant gives all selected words the same factors, one row per factor; call {@link #scale}
 * with one factor for every word to get that row.)
 *
 * <p>Immutable: {@link #scale} returns a new equalizer.
 */
public final class Equalizer {

    private final WordIndices prompt;
    private final float[] factors; // [T]

    private Equalizer(WordIndices prompt, float[] factors) {
        this.prompt = prompt;
        this.factors = factors;
    }

    /**
     * All factors 1 for {@code prompt} (usually the target prompt being reweighted).
     *
     * @throws io.s2edit.common.clip.PromptTooLongException if the prompt does not fit
     */
    public static Equalizer of(ClipTokenizer tokenizer, String prompt) {
        WordIndices words = WordIndices.of(tokenizer, prompt);
        float[] ones = new float[words.ids().size()];
        Arrays.fill(ones, 1f);
        return new Equalizer(words, ones);
    }

    /**
     * The equalizer that scales {@code words.get(k)} by {@code factors.get(k)}, in order.
     *
     * @throws IllegalArgumentException if the lists differ in length or a word is not in the
     *                                  prompt (see {@link WordIndices#positionsOf(String)})
     */
    public static float[] vector(ClipTokenizer tokenizer, String prompt, List<String> words, List<Double> factors) {
        Objects.requireNonNull(words, "words");
        Objects.requireNonNull(factors, "factors");
        if (words.size() != factors.size()) {
            throw new IllegalArgumentException("reweighting needs one factor per word, got " + words.size()
                    + " words " + words + " and " + factors.size() + " factors " + factors);
        }
        Equalizer equalizer = of(tokenizer, prompt);
        for (int k = 0; k < words.size(); k++) {
            equalizer = equalizer.scale(words.get(k), factors.get(k));
        }
        return equalizer.vector();
    }

    /**
     * Sets the factor of every token of every occurrence of {@code word}.
     *
     * @throws IllegalArgumentException if the word is not in the prompt or has no tokens, or the
     *                                  factor is not finite
     */
    public Equalizer scale(String word, double factor) {
        return with(prompt.positionsOf(word), factor);
    }

    /**
     * Sets the factor of every token of the word at {@code wordIndex} (0 = first word).
     *
     * @throws IllegalArgumentException if there is no such word or it has no tokens, or the
     *                                  factor is not finite
     */
    public Equalizer scale(int wordIndex, double factor) {
        return with(prompt.positionsOf(wordIndex), factor);
    }

    /** The factors, [T]. */
    public float[] vector() {
        return factors.clone();
    }

    /** The prompt the factors are for. */
    public String prompt() {
        return prompt.prompt();
    }

    private Equalizer with(int[] positions, double factor) {
        if (!Double.isFinite(factor)) {
            throw new IllegalArgumentException("a reweighting factor must be a finite number, got " + factor);
        }
        float[] next = factors.clone();
        for (int position : positions) {
            next[position] = (float) factor;
        }
        return new Equalizer(prompt, next);
    }

    @Override
    public String toString() {
        return "Equalizer[prompt=\"" + prompt.prompt() + "\"]";
    }
}

package io.s2edit.s2edit.p2p;

import io.s2edit.common.clip.ClipTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Prompt-to-Prompt's word swap ("attention replace", paper §3.2): the [T, T] matrix M that
 * builds each target token's cross-attention map from the source's, {@code M_t = Σ_s M[s][t]
 * · M_s} (the reference's {@code einsum('hpw,bwn->bhpn', attn_base, mapper)}). Rows are source
 * positions, columns target positions. Mirrors {@code seq_aligner.get_replacement_mapper}.
 *
 * <p>Source and target must have the same number of words ({@link WordIndices#words()}); the
 * words that differ are the swapped ones. Walking source position i and target position j
 * together from BOS:
 * <ol>
 *   <li>at the first token of the next swapped word: if both words have the same number of
 *       tokens, the k-th source token maps to the k-th target token (weight 1); otherwise every
 *       source token of the word maps to every target token of it with weight
 *       {@code 1 / (target tokens)}, so one source token spreads evenly over three target
 *       tokens (1/3 each) and three source tokens add up into one target token (weight 1 each,
 *       a sum, not a mean). Then i and j jump past the two words;</li>
 *   <li>before the last swapped word: M[i][j] = 1, one step each;</li>
 *   <li>after the last swapped word: M[j][j] = 1 (the reference's diagonal on the <em>target</em>
 *       index, kept as is): when the swapped words have different token counts, the rest of the
 *       target, EOS and padding included, takes the source map at its own position, not at the
 *       aligned one. With no swapped word at all this gives the identity.</li>
 * </ol>
 * The walk stops when i or j reaches T.
 */
public final class ReplaceMapper {

    private ReplaceMapper() {
    }

    /**
     * The [T][T] mapper from {@code source} to {@code target}: {@code m[s][t]}, s a source
     * position, t a target position.
     *
     * @throws IllegalArgumentException if the word counts differ, a prompt does not fit
     *                                  ({@link io.s2edit.common.clip.PromptTooLongException}), or a
     *                                  swapped word has no tokens
     */
    public static float[][] mapper(ClipTokenizer tokenizer, String source, String target) {
        WordIndices from = WordIndices.of(tokenizer, source);
        WordIndices to = WordIndices.of(tokenizer, target);
        if (from.wordCount() != to.wordCount()) {
            throw new IllegalArgumentException("replace needs source and target prompts with the same number of words,"
                    + " but the source \"" + source + "\" has " + from.wordCount() + " words and the target \"" + target
                    + "\" has " + to.wordCount() + " (words are split on single spaces); use refine for prompts"
                    + " that add or remove words");
        }
        // 1. The swapped words and their token positions on each side.
        List<int[]> sourceWords = new ArrayList<>();
        List<int[]> targetWords = new ArrayList<>();
        for (int k = 0; k < from.wordCount(); k++) {
            if (!from.words().get(k).equals(to.words().get(k))) {
                sourceWords.add(from.positionsOf(k));
                targetWords.add(to.positionsOf(k));
            }
        }
        // 2. Walk both prompts together.
        int size = from.ids().size();
        float[][] m = new float[size][size]; // [T source, T target]
        int i = 0;
        int j = 0;
        int next = 0;
        while (i < size && j < size) {
            if (next < sourceWords.size() && sourceWords.get(next)[0] == i) {
                int[] s = sourceWords.get(next);
                int[] t = targetWords.get(next);
                if (s.length == t.length) {
                    for (int k = 0; k < s.length; k++) {
                        m[s[k]][t[k]] = 1f;
                    }
                } else {
                    float spread = (float) (1.0 / t.length);
                    for (int a : s) {
                        for (int b : t) {
                            m[a][b] = spread;
                        }
                    }
                }
                next++;
                i += s.length;
                j += t.length;
            } else if (next < sourceWords.size()) {
                m[i++][j++] = 1f;
            } else {
                m[j][j] = 1f;
                i++;
                j++;
            }
        }
        return m;
    }

    /**
     * One mapper per target, all from the same source: [P - 1][T][T].
     *
     * @throws IllegalArgumentException as {@link #mapper}, or if there is no target
     */
    public static float[][][] mappers(ClipTokenizer tokenizer, String source, List<String> targets) {
        Objects.requireNonNull(targets, "targets");
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("replace needs at least one target prompt");
        }
        float[][][] out = new float[targets.size()][][];
        for (int p = 0; p < out.length; p++) {
            out[p] = mapper(tokenizer, source, targets.get(p));
        }
        return out;
    }
}

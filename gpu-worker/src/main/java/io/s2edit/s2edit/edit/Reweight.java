package io.s2edit.s2edit.edit;

import java.util.List;
import java.util.Objects;

/**
 * Prompt-to-Prompt attention reweighting ({@code AttentionReweight} on top of replace or refine,
 * as the reference's {@code make_controller} builds it): while a target token's cross-attention
 * map is taken from the source, it is multiplied by its word's factor (1 for other tokens). After
 * the cross-replace window the target's own, unscaled map is used, as in the reference.
 *
 * <p>Each target scales the words it contains ({@link io.s2edit.s2edit.p2p.Equalizer}); a word
 * must be in at least one target.
 *
 * @param words   target words ({@code prompt.split(" ")} spelling)
 * @param factors one factor per word; above 1 strengthens, below 1 weakens, negative inverts
 */
public record Reweight(List<String> words, List<Double> factors) {

    public Reweight {
        words = List.copyOf(Objects.requireNonNull(words, "words"));
        factors = List.copyOf(Objects.requireNonNull(factors, "factors"));
        if (words.isEmpty() || words.size() != factors.size()) {
            throw new IllegalArgumentException("reweighting needs at least one word and one factor per word, got words "
                    + words + " and factors " + factors);
        }
        for (Double factor : factors) {
            if (!Double.isFinite(factor)) {
                throw new IllegalArgumentException("reweighting factors must be finite numbers, got " + factors);
            }
        }
    }

    /** One word, one factor. */
    public static Reweight of(String word, double factor) {
        return new Reweight(List.of(word), List.of(factor));
    }
}

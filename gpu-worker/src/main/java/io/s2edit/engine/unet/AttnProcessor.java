package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.MultiHead;

/**
 * The default processor (diffusers {@code AttnProcessor}): softmax(q k^T / sqrt(d)) v, with the
 * probabilities materialised so that a subclass can read or rewrite them in
 * {@link #editProbabilities} (Prompt-to-Prompt replaces cross-attention maps; S2Edit masks them).
 * Stateless and shareable; subclasses that keep state say so.
 */
public class AttnProcessor implements AttentionProcessor {

    /** The shared stateless default. */
    public static final AttnProcessor DEFAULT = new AttnProcessor();

    @Override
    public NDArray process(NDArray query, NDArray key, NDArray value, AttentionContext context) {
        NDArray probabilities = MultiHead.probabilities(query, key, null); // [B*h, T, S]
        probabilities = editProbabilities(probabilities, context);
        return MultiHead.apply(probabilities, value); // [B*h, T, d]
    }

    /**
     * Hook between softmax and the weighted sum; the default returns {@code probabilities}
     * unchanged. Must return [B*h, T, S].
     *
     * @param probabilities [B*h, T, S], rows summing to 1, batch-major (row b*h + head)
     */
    protected NDArray editProbabilities(NDArray probabilities, AttentionContext context) {
        return probabilities;
    }
}

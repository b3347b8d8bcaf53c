package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;

/**
 * Computes attention from projected, head-split queries, keys and values; {@link Attention} does
 * the projections, hands q/k/v here and applies {@code to_out}. One instance may serve many
 * layers: {@link AttentionContext} says which. Replace processors through
 * {@code UNet2DConditionModel.setAttentionProcessor(s)}; attention storing, Prompt-to-Prompt and
 * S2Edit are processors, usually {@link AttnProcessor} subclasses that edit the probabilities.
 *
 * <p>Letters: B batch, h heads, T query length (H*W), S key length (H*W for self-attention,
 * 77 for cross-attention), d head width. Processors run inside the caller's NDScope and must keep
 * the autograd graph intact when training (no toType/duplicate on the data path).
 */
@FunctionalInterface
public interface AttentionProcessor {

    /**
     * @param query [B*h, T, d]
     * @param key [B*h, S, d]
     * @param value [B*h, S, d]
     * @return the attended values [B*h, T, d]
     */
    NDArray process(NDArray query, NDArray key, NDArray value, AttentionContext context);
}

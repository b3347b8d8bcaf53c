package io.s2edit.engine.unet;

/**
 * What an {@link AttentionProcessor} knows about the call it serves, enough for attention storing,
 * Prompt-to-Prompt and S2Edit's spatial control to pick layers and reshape maps.
 *
 * @param path module path of the {@link Attention} layer, keyed like the checkpoint, e.g.
 *     {@code down_blocks.0.attentions.0.transformer_blocks.0.attn2}; the processor map key is
 *     {@code path + ".processor"}
 * @param crossAttention true for {@code attn2} (keys are the S = 77 text tokens), false for
 *     {@code attn1} (self-attention over the S = H*W positions)
 * @param heads number of heads h; probabilities are laid out [B*h, T, S], batch-major
 * @param height H of the query's feature map
 * @param width W of the query's feature map; query position p = y * W + x, T = H * W
 */
public record AttentionContext(String path, boolean crossAttention, int heads, long height, long width) {

    public AttentionContext {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("attention path is empty: the layer was never bound to a UNet");
        }
        if (heads <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("attention " + path + ": heads " + heads + ", resolution "
                    + height + "x" + width + " must be positive");
        }
    }

    /** Where the layer sits: "down", "mid" or "up" (the Prompt-to-Prompt store groups maps by this). */
    public String place() {
        if (path.startsWith("down_blocks.")) {
            return "down";
        }
        if (path.startsWith("mid_block.")) {
            return "mid";
        }
        if (path.startsWith("up_blocks.")) {
            return "up";
        }
        return "other";
    }

    /** Query length T = H * W. */
    public long queryLength() {
        return height * width;
    }

    /** The key under which {@code UNet2DConditionModel.attentionProcessors()} lists this layer. */
    public String processorKey() {
        return path + ".processor";
    }
}

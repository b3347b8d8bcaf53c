package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.LayerNorm;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code BasicTransformerBlock} with norm_type "layer_norm" (pre-norm, residual):
 * <pre>
 *   x = attn1(norm1(x)) + x          self-attention over the H*W positions
 *   x = attn2(norm2(x), text) + x    cross-attention to the text embedding
 *   x = ff(norm3(x)) + x             GEGLU feed-forward
 * </pre>
 * LayerNorms use diffusers' fixed eps 1e-5. Letters: B batch, T = H*W, C channels, S = 77 tokens,
 * D text width.
 */
public final class BasicTransformerBlock extends Module {

    private static final float LAYER_NORM_EPS = 1e-5f;
    private static final int FF_MULT = 4;

    private final LayerNorm norm1;
    private final Attention attn1;
    private final LayerNorm norm2;
    private final Attention attn2;
    private final LayerNorm norm3;
    private final FeedForward ff;

    public BasicTransformerBlock(int dim, int heads, int headDim, int crossAttentionDim) {
        this.norm1 = child("norm1", new LayerNorm(dim, LAYER_NORM_EPS));
        this.attn1 = child("attn1", new Attention(dim, 0, heads, headDim));
        this.norm2 = child("norm2", new LayerNorm(dim, LAYER_NORM_EPS));
        this.attn2 = child("attn2", new Attention(dim, crossAttentionDim, heads, headDim));
        this.norm3 = child("norm3", new LayerNorm(dim, LAYER_NORM_EPS));
        this.ff = child("ff", new FeedForward(dim, FF_MULT));
    }

    /** x [B, T, C] from an H x W map, encoderHiddenStates [B, S, D] -> [B, T, C]. */
    public NDArray forward(NDArray x, NDArray encoderHiddenStates, long height, long width) {
        x = attn1.forward(norm1.forward(x), null, height, width).add(x);
        x = attn2.forward(norm2.forward(x), encoderHiddenStates, height, width).add(x);
        return ff.forward(norm3.forward(x)).add(x);
    }
}

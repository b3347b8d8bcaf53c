package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.GroupNorm;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;

/**
 * diffusers {@code Transformer2DModel} on continuous input (the "SpatialTransformer" of Rombach et
 * al. 2022, LDM): GroupNorm (eps 1e-6), {@code proj_in} to the inner width, a stack of
 * {@link BasicTransformerBlock}s over the H*W positions, {@code proj_out} back, plus the input.
 * proj_in/proj_out are 1x1 convolutions (SD v1, use_linear_projection false) or Linears (applied
 * after / before flattening). Letters: B batch, C channels, H x W map, I = heads * head width.
 */
public final class Transformer2DModel extends Module {

    private static final float GROUP_NORM_EPS = 1e-6f;

    private final GroupNorm norm;
    private final Conv2d projInConv;
    private final Linear projInLinear;
    private final ModuleList<BasicTransformerBlock> transformerBlocks;
    private final Conv2d projOutConv;
    private final Linear projOutLinear;
    private final int inner;

    public Transformer2DModel(int heads, int headDim, int channels, int layers, int crossAttentionDim, int groups,
            boolean useLinearProjection) {
        this.inner = heads * headDim;
        this.norm = child("norm", new GroupNorm(groups, channels, GROUP_NORM_EPS));
        this.projInConv = useLinearProjection ? null : child("proj_in", new Conv2d(channels, inner, 1, 1, 0));
        this.projInLinear = useLinearProjection ? child("proj_in", new Linear(channels, inner, true)) : null;
        this.transformerBlocks = child("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < layers; i++) {
            transformerBlocks.add(new BasicTransformerBlock(inner, heads, headDim, crossAttentionDim));
        }
        this.projOutConv = useLinearProjection ? null : child("proj_out", new Conv2d(inner, channels, 1, 1, 0));
        this.projOutLinear = useLinearProjection ? child("proj_out", new Linear(inner, channels, true)) : null;
    }

    /** x [B, C, H, W], encoderHiddenStates [B, S, D] -> [B, C, H, W]. */
    public NDArray forward(NDArray x, NDArray encoderHiddenStates) {
        long b = x.getShape().get(0);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray hidden = norm.forward(x);
        if (projInConv != null) {
            hidden = toTokens(projInConv.forward(hidden)); // [B, H*W, I]
        } else {
            hidden = projInLinear.forward(toTokens(hidden)); // [B, H*W, I]
        }
        for (BasicTransformerBlock block : transformerBlocks) {
            hidden = block.forward(hidden, encoderHiddenStates, h, w);
        }
        if (projOutConv != null) {
            hidden = projOutConv.forward(toMap(hidden, b, h, w, inner)); // [B, C, H, W]
        } else {
            hidden = toMap(projOutLinear.forward(hidden), b, h, w, x.getShape().get(1)); // [B, C, H, W]
        }
        return hidden.add(x);
    }

    /** [B, C, H, W] -> [B, H*W, C]. */
    private static NDArray toTokens(NDArray map) {
        long b = map.getShape().get(0);
        long c = map.getShape().get(1);
        return map.transpose(0, 2, 3, 1).reshape(b, -1, c); // [B, H*W, C]
    }

    /** [B, H*W, C] -> [B, C, H, W]. */
    private static NDArray toMap(NDArray tokens, long b, long h, long w, long c) {
        return tokens.reshape(b, h, w, c).transpose(0, 3, 1, 2); // [B, C, H, W]
    }
}

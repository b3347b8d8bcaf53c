package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import java.util.List;

/** A UNet decoder level: each resnet first concatenates one skip tensor, deepest (last) first. */
public abstract class UpBlock extends Module {

    /**
     * @param x [B, Cprev, H, W]
     * @param skips this level's skip tensors in production order; consumed from the end
     * @param temb [B, E]
     * @param encoderHiddenStates [B, S, D] (unused without attention)
     * @param upsampleSize explicit [H', W'] for the upsampler, or null for 2H x 2W
     */
    public abstract NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray encoderHiddenStates,
            long[] upsampleSize);

    /** Number of resnets, i.e. skip tensors consumed. */
    public abstract int resnetCount();
}

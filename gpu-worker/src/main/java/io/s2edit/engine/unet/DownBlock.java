package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import java.util.List;

/** A UNet encoder level: returns its output and the skip tensors the decoder will consume. */
public abstract class DownBlock extends Module {

    /**
     * @param hidden output [B, Co, H', W'] (downsampled unless this is the last level)
     * @param skips one tensor per resnet, plus the downsampled output, in order of production
     */
    public record Output(NDArray hidden, List<NDArray> skips) {
    }

    /** x [B, Ci, H, W], temb [B, E], encoderHiddenStates [B, S, D] (unused without attention). */
    public abstract Output forward(NDArray x, NDArray temb, NDArray encoderHiddenStates);

    /** Number of skip tensors {@link #forward} produces. */
    public abstract int skipCount();
}

package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code Downsample2D} with {@code padding=0}, as the VAE encoder builds it: zero-pad one
 * column on the right and one row at the bottom (F.pad (0, 1, 0, 1)), then a 3x3 convolution with
 * stride 2 and no padding. H and W halve (rounding down for odd sizes). Key: conv.
 */
final class Downsample2D extends Module {

    private static final Shape PAD_RIGHT_BOTTOM = new Shape(0, 1, 0, 1);

    private final Conv2d conv;

    Downsample2D(int channels) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 2, 0));
    }

    /** x [B, C, H, W] -> [B, C, H/2, W/2]. */
    NDArray forward(NDArray x) {
        return conv.forward(x.pad(PAD_RIGHT_BOTTOM, 0)); // padded [B, C, H+1, W+1]
    }
}

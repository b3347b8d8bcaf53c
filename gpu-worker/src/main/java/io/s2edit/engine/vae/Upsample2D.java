package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code Upsample2D} with a convolution: nearest-neighbour 2x upsampling
 * ({@code F.interpolate(scale_factor=2.0, mode="nearest")}) then a 3x3 convolution. Key: conv.
 */
final class Upsample2D extends Module {

    private final Conv2d conv;

    Upsample2D(int channels) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 1, 1));
    }

    /** x [B, C, H, W] -> [B, C, 2H, 2W]. */
    NDArray forward(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray up = x.getNDArrayInternal().interpolation(new long[] {2 * h, 2 * w}, 0, false); // [B, C, 2H, 2W]
        return conv.forward(up);
    }
}

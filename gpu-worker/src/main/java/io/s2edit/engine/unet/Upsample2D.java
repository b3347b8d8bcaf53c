package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code Upsample2D} with use_conv: nearest-neighbour upsampling, then a 3x3
 * {@code conv}. The target size is 2H x 2W, or the explicit size the UNet passes when the latent
 * side is not a multiple of 2^(levels-1) (then the skip tensor of the next level is odd-sized and
 * 2H would overshoot it). Nearest with an explicit size reads source index floor(dst * in / out),
 * as {@code F.interpolate(mode="nearest")}.
 */
public final class Upsample2D extends Module {

    /** DJL's interpolation mode code for nearest-neighbour. */
    private static final int NEAREST = 0;

    private final Conv2d conv;

    public Upsample2D(int channels) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 1, 1));
    }

    /** x [B, C, H, W] -> [B, C, 2H, 2W], or [B, C, size[0], size[1]] when {@code size} is given. */
    public NDArray forward(NDArray x, long[] size) {
        long[] target = size != null ? size : new long[] {2 * x.getShape().get(2), 2 * x.getShape().get(3)};
        NDArray up = x.getNDArrayInternal().interpolation(target, NEAREST, false); // [B, C, H', W']
        return conv.forward(up);
    }
}

package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code Downsample2D} with use_conv: a 3x3 {@code conv} of stride 2. With padding 1
 * (SD v1) an H x W map becomes ceil(H/2) x ceil(W/2); with padding 0 the input is first padded by
 * one on the right and bottom, as diffusers does.
 */
public final class Downsample2D extends Module {

    private final Conv2d conv;
    private final int padding;

    public Downsample2D(int channels, int padding) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 2, padding));
        this.padding = padding;
    }

    /** x [B, C, H, W] -> [B, C, ceil(H/2), ceil(W/2)]. */
    public NDArray forward(NDArray x) {
        if (padding == 0) {
            x = x.pad(new Shape(0, 1, 0, 1), 0); // F.pad order: (left, right, top, bottom)
        }
        return conv.forward(x);
    }
}

package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.GroupNorm;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code ResnetBlock2D} as the VAE builds it: no time embedding, eps 1e-6, output scale 1.
 * x + conv2(silu(norm2(conv1(silu(norm1(x)))))), with a 1x1 {@code conv_shortcut} on x when the
 * channel count changes. Keys: norm1, conv1, norm2, conv2[, conv_shortcut].
 */
final class ResnetBlock2D extends Module {

    static final float EPS = 1e-6f;

    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;

    ResnetBlock2D(int in, int out, int groups) {
        this.norm1 = child("norm1", new GroupNorm(groups, in, EPS));
        this.conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1));
        this.norm2 = child("norm2", new GroupNorm(groups, out, EPS));
        this.conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1));
        this.convShortcut = in != out ? child("conv_shortcut", new Conv2d(in, out, 1, 1, 0)) : null;
    }

    /** x [B, in, H, W] -> [B, out, H, W]. */
    NDArray forward(NDArray x) {
        NDArray h = conv1.forward(Activations.silu(norm1.forward(x)));
        h = conv2.forward(Activations.silu(norm2.forward(h)));
        NDArray shortcut = convShortcut == null ? x : convShortcut.forward(x);
        return shortcut.add(h);
    }
}

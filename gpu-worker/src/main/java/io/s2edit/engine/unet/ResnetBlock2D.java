package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.GroupNorm;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.Scalars;

/**
 * diffusers {@code ResnetBlock2D} with time_embedding_norm "default" (Ho et al. 2020, DDPM):
 * <pre>
 *   h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb))[:, :, None, None]
 *   h = conv2(silu(norm2(h)))
 *   out = (shortcut(x) + h) / output_scale_factor
 * </pre>
 * shortcut is a 1x1 {@code conv_shortcut} when the channel count changes, identity otherwise.
 * Letters: B batch, Ci/Co channels in/out, H x W spatial, E time-embedding width.
 */
public final class ResnetBlock2D extends Module {

    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final float outputScaleFactor;

    public ResnetBlock2D(int inChannels, int outChannels, int tembChannels, int groups, float eps, float outputScaleFactor) {
        this.norm1 = child("norm1", new GroupNorm(groups, inChannels, eps));
        this.conv1 = child("conv1", new Conv2d(inChannels, outChannels, 3, 1, 1));
        this.timeEmbProj = child("time_emb_proj", new Linear(tembChannels, outChannels, true));
        this.norm2 = child("norm2", new GroupNorm(groups, outChannels, eps));
        this.conv2 = child("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1));
        this.convShortcut = inChannels != outChannels
                ? child("conv_shortcut", new Conv2d(inChannels, outChannels, 1, 1, 0))
                : null;
        this.outputScaleFactor = outputScaleFactor;
    }

    /** x [B, Ci, H, W], temb [B, E] -> [B, Co, H, W]. */
    public NDArray forward(NDArray x, NDArray temb) {
        NDArray h = conv1.forward(Activations.silu(norm1.forward(x))); // [B, Co, H, W]
        NDArray t = timeEmbProj.forward(Activations.silu(temb)); // [B, Co]
        h = h.add(t.expandDims(2).expandDims(3)); // + [B, Co, 1, 1]
        h = conv2.forward(Activations.silu(norm2.forward(h)));
        NDArray shortcut = convShortcut == null ? x : convShortcut.forward(x);
        NDArray out = shortcut.add(h);
        return outputScaleFactor == 1f ? out : Scalars.div(out, outputScaleFactor);
    }
}

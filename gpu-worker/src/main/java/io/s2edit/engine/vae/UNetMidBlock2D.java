package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;

/**
 * diffusers {@code UNetMidBlock2D} as the VAE builds it (one layer, no time embedding):
 * resnets.0, then attentions.0 and resnets.1. Without attention (mid_block_add_attention false)
 * the block has no {@code attentions} keys.
 */
final class UNetMidBlock2D extends Module {

    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<VaeAttention> attentions;

    UNetMidBlock2D(int channels, int groups, boolean addAttention) {
        this.resnets = child("resnets", new ModuleList<>());
        resnets.add(new ResnetBlock2D(channels, channels, groups));
        resnets.add(new ResnetBlock2D(channels, channels, groups));
        this.attentions = addAttention ? child("attentions", new ModuleList<>()) : null;
        if (addAttention) {
            attentions.add(new VaeAttention(channels, groups));
        }
    }

    /** x [B, C, H, W] -> [B, C, H, W]. */
    NDArray forward(NDArray x) {
        NDArray h = resnets.get(0).forward(x);
        if (attentions != null) {
            h = attentions.get(0).forward(h);
        }
        return resnets.get(1).forward(h);
    }
}

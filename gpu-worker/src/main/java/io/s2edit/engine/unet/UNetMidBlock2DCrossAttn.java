package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;

/**
 * diffusers {@code UNetMidBlock2DCrossAttn}: {@code resnets.0}, then (attentions.i, resnets.i+1)
 * pairs, at the deepest resolution, with the channel count unchanged.
 */
public final class UNetMidBlock2DCrossAttn extends Module {

    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Transformer2DModel> attentions;

    public UNetMidBlock2DCrossAttn(BlockSpec spec) {
        int c = spec.inChannels();
        this.attentions = child("attentions", new ModuleList<>());
        this.resnets = child("resnets", new ModuleList<>());
        resnets.add(spec.resnet(c, c));
        for (int i = 0; i < spec.layers(); i++) {
            attentions.add(spec.transformer());
            resnets.add(spec.resnet(c, c));
        }
    }

    /** x [B, C, H, W], temb [B, E], encoderHiddenStates [B, S, D] -> [B, C, H, W]. */
    public NDArray forward(NDArray x, NDArray temb, NDArray encoderHiddenStates) {
        x = resnets.get(0).forward(x, temb);
        for (int i = 0; i < attentions.size(); i++) {
            x = attentions.get(i).forward(x, encoderHiddenStates);
            x = resnets.get(i + 1).forward(x, temb);
        }
        return x;
    }
}

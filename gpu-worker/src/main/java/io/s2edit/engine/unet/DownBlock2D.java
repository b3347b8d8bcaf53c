package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.ModuleList;
import java.util.ArrayList;
import java.util.List;

/** diffusers {@code DownBlock2D}: {@code resnets}, then an optional stride-2 {@code downsamplers.0}. */
public final class DownBlock2D extends DownBlock {

    private final ModuleList<ResnetBlock2D> resnets;

    public DownBlock2D(BlockSpec spec) {
        this.resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < spec.layers(); i++) {
            resnets.add(spec.resnet(i == 0 ? spec.inChannels() : spec.outChannels(), spec.outChannels()));
        }
        addDownsampler(spec);
    }

    @Override
    public Output forward(NDArray x, NDArray temb, NDArray encoderHiddenStates) {
        List<NDArray> skips = new ArrayList<>();
        for (ResnetBlock2D resnet : resnets) {
            x = resnet.forward(x, temb); // [B, Co, H, W]
            skips.add(x);
        }
        return finish(x, skips);
    }

    @Override
    public int resnetCount() {
        return resnets.size();
    }
}

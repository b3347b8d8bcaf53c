package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers {@code CrossAttnDownBlock2D}: pairs of ({@code resnets.i}, {@code attentions.i}), then
 * an optional stride-2 {@code downsamplers.0}. Each pair's output is a skip tensor.
 */
public final class CrossAttnDownBlock2D extends DownBlock {

    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<ResnetBlock2D> resnets;

    public CrossAttnDownBlock2D(BlockSpec spec) {
        this.attentions = child("attentions", new ModuleList<>());
        this.resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < spec.layers(); i++) {
            resnets.add(spec.resnet(i == 0 ? spec.inChannels() : spec.outChannels(), spec.outChannels()));
            attentions.add(spec.transformer());
        }
        addDownsampler(spec);
    }

    @Override
    public Output forward(NDArray x, NDArray temb, NDArray encoderHiddenStates) {
        List<NDArray> skips = new ArrayList<>();
        for (int i = 0; i < resnets.size(); i++) {
            x = resnets.get(i).forward(x, temb); // [B, Co, H, W]
            x = attentions.get(i).forward(x, encoderHiddenStates);
            skips.add(x);
        }
        return finish(x, skips);
    }

    @Override
    public int resnetCount() {
        return resnets.size();
    }
}

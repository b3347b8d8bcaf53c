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

    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<Downsample2D> downsamplers;

    public CrossAttnDownBlock2D(BlockSpec spec) {
        this.resnets = child("resnets", new ModuleList<>());
        this.attentions = child("attentions", new ModuleList<>());
        for (int i = 0; i < spec.layers(); i++) {
            resnets.add(spec.resnet(i == 0 ? spec.inChannels() : spec.outChannels(), spec.outChannels()));
            attentions.add(spec.transformer());
        }
        this.downsamplers = spec.resample() ? child("downsamplers", new ModuleList<>()) : null;
        if (downsamplers != null) {
            downsamplers.add(new Downsample2D(spec.outChannels(), spec.downsamplePadding()));
        }
    }

    @Override
    public Output forward(NDArray x, NDArray temb, NDArray encoderHiddenStates) {
        List<NDArray> skips = new ArrayList<>();
        for (int i = 0; i < resnets.size(); i++) {
            x = resnets.get(i).forward(x, temb); // [B, Co, H, W]
            x = attentions.get(i).forward(x, encoderHiddenStates);
            skips.add(x);
        }
        if (downsamplers != null) {
            x = downsamplers.get(0).forward(x); // [B, Co, H/2, W/2]
            skips.add(x);
        }
        return new Output(x, skips);
    }

    @Override
    public int skipCount() {
        return resnets.size() + (downsamplers == null ? 0 : 1);
    }
}

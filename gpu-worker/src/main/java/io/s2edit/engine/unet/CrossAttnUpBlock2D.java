package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/**
 * diffusers {@code CrossAttnUpBlock2D}: like {@link UpBlock2D}, with a Transformer2DModel
 * ({@code attentions.i}) after each resnet.
 */
public final class CrossAttnUpBlock2D extends UpBlock {

    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<ResnetBlock2D> resnets;

    public CrossAttnUpBlock2D(BlockSpec spec) {
        this.attentions = child("attentions", new ModuleList<>());
        this.resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < spec.layers(); i++) {
            resnets.add(resnet(spec, i));
            attentions.add(spec.transformer());
        }
        addUpsampler(spec);
    }

    @Override
    public NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray encoderHiddenStates,
            long[] upsampleSize) {
        for (int i = 0; i < resnets.size(); i++) {
            x = resnets.get(i).forward(withSkip(x, skips, i), temb); // [B, Co, H, W]
            x = attentions.get(i).forward(x, encoderHiddenStates);
        }
        return finish(x, upsampleSize);
    }

    @Override
    public int resnetCount() {
        return resnets.size();
    }
}

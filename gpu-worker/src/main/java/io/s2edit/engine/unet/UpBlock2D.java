package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/**
 * diffusers {@code UpBlock2D}: each of the {@code resnets} takes cat([x, skip], channels) with the
 * skips consumed last-first, then an optional {@code upsamplers.0}. Resnet i has
 * (i == 0 ? prevOutput : out) + (i == last ? in : out) input channels.
 */
public final class UpBlock2D extends UpBlock {

    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Upsample2D> upsamplers;

    public UpBlock2D(BlockSpec spec) {
        this.resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < spec.layers(); i++) {
            int skip = i == spec.layers() - 1 ? spec.inChannels() : spec.outChannels();
            int in = i == 0 ? spec.prevOutputChannels() : spec.outChannels();
            resnets.add(spec.resnet(in + skip, spec.outChannels()));
        }
        this.upsamplers = spec.resample() ? child("upsamplers", new ModuleList<>()) : null;
        if (upsamplers != null) {
            upsamplers.add(new Upsample2D(spec.outChannels()));
        }
    }

    @Override
    public NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray encoderHiddenStates,
            long[] upsampleSize) {
        for (int i = 0; i < resnets.size(); i++) {
            NDArray skip = skips.get(skips.size() - 1 - i);
            x = resnets.get(i).forward(x.concat(skip, 1), temb); // [B, Cx + Cskip, H, W] -> [B, Co, H, W]
        }
        return upsamplers == null ? x : upsamplers.get(0).forward(x, upsampleSize);
    }

    @Override
    public int resnetCount() {
        return resnets.size();
    }
}

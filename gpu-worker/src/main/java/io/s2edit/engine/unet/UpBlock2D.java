package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/**
 * diffusers {@code UpBlock2D}: each of the {@code resnets} takes cat([x, skip], channels) with the
 * skips consumed last-first, then an optional {@code upsamplers.0}.
 */
public final class UpBlock2D extends UpBlock {

    private final ModuleList<ResnetBlock2D> resnets;

    public UpBlock2D(BlockSpec spec) {
        this.resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < spec.layers(); i++) {
            resnets.add(resnet(spec, i));
        }
        addUpsampler(spec);
    }

    @Override
    public NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray encoderHiddenStates,
            long[] upsampleSize) {
        for (int i = 0; i < resnets.size(); i++) {
            x = resnets.get(i).forward(withSkip(x, skips, i), temb); // [B, Co, H, W]
        }
        return finish(x, upsampleSize);
    }

    @Override
    public int resnetCount() {
        return resnets.size();
    }
}

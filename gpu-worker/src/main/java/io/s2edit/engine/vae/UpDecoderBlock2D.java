package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;

/**
 * diffusers {@code UpDecoderBlock2D}: {@code layers} resnets (the decoder passes
 * layers_per_block + 1; the first changes in -> out channels), then, except in the last block,
 * {@code upsamplers.0}.
 */
final class UpDecoderBlock2D extends Module {

    private final ModuleList<ResnetBlock2D> resnets;
    private final Upsample2D upsampler;

    UpDecoderBlock2D(int in, int out, int layers, int groups, boolean addUpsample) {
        this.resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < layers; i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? in : out, out, groups));
        }
        if (addUpsample) {
            ModuleList<Upsample2D> upsamplers = child("upsamplers", new ModuleList<>());
            this.upsampler = upsamplers.add(new Upsample2D(out));
        } else {
            this.upsampler = null;
        }
    }

    /** x [B, in, H, W] -> [B, out, 2H, 2W] (or [B, out, H, W] in the last block). */
    NDArray forward(NDArray x) {
        for (ResnetBlock2D resnet : resnets) {
            x = resnet.forward(x);
        }
        return upsampler == null ? x : upsampler.forward(x);
    }
}

package io.s2edit.engine.vae;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;

/**
 * diffusers {@code DownEncoderBlock2D}: {@code layers} resnets (the first changes in -> out
 * channels), then, except in the last block, {@code downsamplers.0}.
 */
final class DownEncoderBlock2D extends Module {

    private final ModuleList<ResnetBlock2D> resnets;
    private final Downsample2D downsampler;

    DownEncoderBlock2D(int in, int out, int layers, int groups, boolean addDownsample) {
        this.resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < layers; i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? in : out, out, groups));
        }
        if (addDownsample) {
            ModuleList<Downsample2D> downsamplers = child("downsamplers", new ModuleList<>());
            this.downsampler = downsamplers.add(new Downsample2D(out));
        } else {
            this.downsampler = null;
        }
    }

    /** x [B, in, H, W] -> [B, out, H/2, W/2] (or [B, out, H, W] in the last block). */
    NDArray forward(NDArray x) {
        for (ResnetBlock2D resnet : resnets) {
            x = resnet.forward(x);
        }
        return downsampler == null ? x : downsampler.forward(x);
    }
}

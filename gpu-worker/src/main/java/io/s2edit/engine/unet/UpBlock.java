package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/**
 * A UNet decoder level: resnet i first concatenates one skip tensor (the last remaining one), so
 * it has (i == 0 ? prevOutput : out) + (i == last ? in : out) input channels. Holds the level's
 * optional {@code upsamplers.0}, registered after the subclass's own children as diffusers does.
 */
public abstract class UpBlock extends Module {

    private ModuleList<Upsample2D> upsamplers;

    /**
     * @param x [B, Cprev, H, W]
     * @param skips this level's skip tensors in production order; consumed from the end
     * @param temb [B, E]
     * @param encoderHiddenStates [B, S, D] (unused without attention)
     * @param upsampleSize explicit [H', W'] for the upsampler, or null for 2H x 2W
     */
    public abstract NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray encoderHiddenStates,
            long[] upsampleSize);

    /** Number of resnets, i.e. skip tensors consumed. */
    public abstract int resnetCount();

    /** Resnet {@code i} of the level described by {@code spec}, sized for its concatenated skip. */
    protected static ResnetBlock2D resnet(BlockSpec spec, int i) {
        int skip = i == spec.layers() - 1 ? spec.inChannels() : spec.outChannels();
        int in = i == 0 ? spec.prevOutputChannels() : spec.outChannels();
        return spec.resnet(in + skip, spec.outChannels());
    }

    /** cat([x, skip], channels) for resnet {@code i}: [B, Cx + Cskip, H, W]. */
    protected static NDArray withSkip(NDArray x, List<NDArray> skips, int i) {
        return x.concat(skips.get(skips.size() - 1 - i), 1);
    }

    /** Registers {@code upsamplers.0} when the spec asks for one; call last in the constructor. */
    protected final void addUpsampler(BlockSpec spec) {
        if (spec.resample()) {
            upsamplers = child("upsamplers", new ModuleList<>());
            upsamplers.add(new Upsample2D(spec.outChannels()));
        }
    }

    /** Ends the level: x [B, C, H, W] -> [B, C, 2H, 2W] or the explicit size, if it upsamples. */
    protected final NDArray finish(NDArray x, long[] upsampleSize) {
        return upsamplers == null ? x : upsamplers.get(0).forward(x, upsampleSize);
    }
}

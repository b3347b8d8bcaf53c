package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import java.util.List;

/**
 * A UNet encoder level: returns its output and the skip tensors the decoder will consume. Holds
 * the level's optional stride-2 {@code downsamplers.0}, registered after the subclass's own
 * children as diffusers does.
 */
public abstract class DownBlock extends Module {

    /**
     * @param hidden output [B, Co, H', W'] (downsampled unless this is the last level)
     * @param skips one tensor per resnet, plus the downsampled output, in order of production
     */
    public record Output(NDArray hidden, List<NDArray> skips) {
    }

    private ModuleList<Downsample2D> downsamplers;

    /** x [B, Ci, H, W], temb [B, E], encoderHiddenStates [B, S, D] (unused without attention). */
    public abstract Output forward(NDArray x, NDArray temb, NDArray encoderHiddenStates);

    /** Number of resnets in the level. */
    public abstract int resnetCount();

    /** Number of skip tensors {@link #forward} produces. */
    public final int skipCount() {
        return resnetCount() + (downsamplers == null ? 0 : 1);
    }

    /** Registers {@code downsamplers.0} when the spec asks for one; call last in the constructor. */
    protected final void addDownsampler(BlockSpec spec) {
        if (spec.resample()) {
            downsamplers = child("downsamplers", new ModuleList<>());
            downsamplers.add(new Downsample2D(spec.outChannels(), spec.downsamplePadding()));
        }
    }

    /** Ends the level: downsamples x [B, C, H, W] -> [B, C, H/2, W/2] (if any), adding it to the skips. */
    protected final Output finish(NDArray x, List<NDArray> skips) {
        if (downsamplers != null) {
            x = downsamplers.get(0).forward(x);
            skips.add(x);
        }
        return new Output(x, skips);
    }
}

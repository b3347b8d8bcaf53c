package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code TimestepEmbedding} ({@code time_embedding}): an MLP on the sinusoidal timestep
 * projection, {@code linear_2(silu(linear_1(t)))}. linear_1 [E, C0], linear_2 [E, E] with
 * E = 4 x block_out_channels[0].
 */
public final class TimestepEmbedding extends Module {

    private final Linear linear1;
    private final Linear linear2;

    public TimestepEmbedding(int inChannels, int timeEmbedDim) {
        this.linear1 = child("linear_1", new Linear(inChannels, timeEmbedDim, true));
        this.linear2 = child("linear_2", new Linear(timeEmbedDim, timeEmbedDim, true));
    }

    /** t [B, C0] -> emb [B, E]. */
    public NDArray forward(NDArray t) {
        return linear2.forward(Activations.silu(linear1.forward(t)));
    }
}

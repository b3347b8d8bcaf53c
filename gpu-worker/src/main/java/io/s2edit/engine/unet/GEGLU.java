package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code GEGLU} (Shazeer 2020, "GLU Variants Improve Transformer"): {@code proj} [2F, C]
 * maps to a value half and a gate half, output = value * gelu(gate) with the exact erf GELU.
 */
public final class GEGLU extends Module {

    private final Linear proj;

    public GEGLU(int dimIn, int dimOut) {
        this.proj = child("proj", new Linear(dimIn, 2L * dimOut, true));
    }

    /** x [B, T, C] -> [B, T, F]. */
    public NDArray forward(NDArray x) {
        NDArray projected = proj.forward(x); // [B, T, 2F]
        NDList halves = projected.split(2, projected.getShape().dimension() - 1); // 2 x [B, T, F]; DJL's split rejects axis -1
        return halves.get(0).mul(Activations.gelu(halves.get(1)));
    }
}

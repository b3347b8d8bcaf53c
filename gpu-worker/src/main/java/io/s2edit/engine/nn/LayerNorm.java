package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** {@code torch.nn.LayerNorm} over the last axis. Weight and bias [C]. */
public final class LayerNorm extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final float eps;

    public LayerNorm(long channels, float eps) {
        this.weight = parameter("weight", channels);
        this.bias = parameter("bias", channels);
        this.eps = eps;
    }

    /** x [..., C] -> [..., C]. */
    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, weight.shape(), weight.get(), bias.get(), eps).singletonOrThrow();
    }
}

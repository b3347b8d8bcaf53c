package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Linear}: y = x W^T + b over the last axis. Weight [out, in], bias [out]. */
public final class Linear extends Module {

    private final Parameter weight;
    private final Parameter bias;

    public Linear(long in, long out, boolean bias) {
        this.weight = parameter("weight", out, in);
        this.bias = bias ? parameter("bias", out) : null;
    }

    /** x [..., in] -> [..., out]. */
    public NDArray forward(NDArray x) {
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight.get()).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight.get(), bias.get()).singletonOrThrow();
    }
}

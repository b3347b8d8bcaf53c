package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** {@code torch.nn.Conv2d} with square kernel, stride and padding. Weight [out, in, k, k], bias [out]. */
public final class Conv2d extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final Shape stride;
    private final Shape padding;

    public Conv2d(long in, long out, int kernel, int stride, int padding) {
        this.weight = parameter("weight", out, in, kernel, kernel);
        this.bias = parameter("bias", out);
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    /** x [B, in, H, W] -> [B, out, H', W']. */
    public NDArray forward(NDArray x) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight.get(), bias.get(), stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}

package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * {@code torch.nn.GroupNorm} with a per-channel affine. DJL has no group norm: the input is viewed
 * as [B, groups, C/groups * H * W], layer-normalised over the last axis, then scaled per channel.
 * Weight and bias [C].
 */
public final class GroupNorm extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final int groups;
    private final float eps;

    public GroupNorm(int groups, long channels, float eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels do not split into " + groups + " groups");
        }
        this.weight = parameter("weight", channels);
        this.bias = parameter("bias", channels);
        this.groups = groups;
        this.eps = eps;
    }

    /** x [B, C, ...] -> [B, C, ...]. */
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        long batch = shape.get(0);
        long channels = shape.get(1);
        NDArray grouped = x.reshape(batch, groups, -1); // [B, G, C/G * H * W]
        Shape normalized = new Shape(grouped.getShape().get(2));
        NDArray ones = x.getManager().ones(normalized);
        NDArray zeros = x.getManager().zeros(normalized);
        NDArray normed = ai.djl.nn.norm.LayerNorm.layerNorm(grouped, normalized, ones, zeros, eps).singletonOrThrow();
        long[] affine = new long[shape.dimension()];
        java.util.Arrays.fill(affine, 1);
        affine[1] = channels; // [1, C, 1, 1]
        return normed.reshape(shape).mul(weight.get().reshape(affine)).add(bias.get().reshape(affine));
    }
}

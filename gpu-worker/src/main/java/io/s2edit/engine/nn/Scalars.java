package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands that are safe inside an autograd graph.
 *
 * <p><b>Why.</b> DJL's {@code x.mul(2f)} (and add/sub/div/maximum with a {@code Number}, and
 * {@code Activation.swish}) wraps the number in a tensor made by {@code torch::from_blob} over a
 * Java direct buffer and closes that tensor right after the op, which drops the buffer. When
 * {@code x} requires gradients, autograd saves the scalar for backward (mul needs it for
 * d/dx); backward then reads memory the garbage collector may already have freed: NaN or wrong
 * gradients, depending on GC timing (reproduced with a thread calling {@code System.gc()}).
 * {@link #of} makes the scalar with {@code full}, whose memory libtorch owns and reference-counts,
 * so a saved copy outlives the Java wrapper. Use it for every scalar on a path gradients flow
 * through; inference-only code may keep {@code mul(Number)}.
 */
public final class Scalars {

    private Scalars() {
    }

    /** A 0-dim tensor holding {@code value}, with {@code like}'s type and device (it promotes like a number). */
    public static NDArray of(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    /** {@code x * value}, safe for autograd. */
    public static NDArray mul(NDArray x, float value) {
        return x.mul(of(x, value));
    }

    /** {@code x / value}, safe for autograd. */
    public static NDArray div(NDArray x, float value) {
        return x.div(of(x, value));
    }
}

package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Multiplying or dividing by a number in a way autograd can replay. Use these, not
 * {@code NDArray.mul(Number)} / {@code div(Number)}, wherever the array may record gradients.
 *
 * <p><b>Why.</b> DJL's PyTorch engine (0.36) turns the number into a 0-d tensor made with
 * {@code from_blob} over a Java direct buffer and closes that array as soon as the product is
 * computed. When the other operand records gradients, autograd keeps the 0-d tensor for the
 * backward pass (d(x s)/dx = s), but nothing keeps its Java buffer: once a garbage collection
 * runs between forward and backward, backward reads freed memory and gradients come out NaN or
 * garbage, depending on timing (seen here in 1 of 3 null-text runs of 100 iterations, and in 20
 * of 20 trials with a forced GC). Here the 0-d tensor is made by libtorch ({@code full}), so
 * autograd's reference keeps it alive. The arithmetic is the same op on the same fp32 value, so
 * results are bit-identical to {@code mul(Number)} / {@code div(Number)}.
 */
public final class Scalars {

    private Scalars() {
    }

    /** {@code x * s}, s as a 0-d tensor of x's type on x's device. */
    public static NDArray mul(NDArray x, float s) {
        try (NDArray scalar = of(x, s)) {
            return x.mul(scalar);
        }
    }

    /** {@code x / s}, s as a 0-d tensor of x's type on x's device. */
    public static NDArray div(NDArray x, float s) {
        try (NDArray scalar = of(x, s)) {
            return x.div(scalar);
        }
    }

    /** A 0-d tensor holding {@code s}, allocated by libtorch (not over a Java buffer). */
    public static NDArray of(NDArray like, float s) {
        return like.getManager().full(new Shape(), s, like.getDataType());
    }
}

package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Activations used by SD v1.x and CLIP, written so autograd flows through them. */
public final class Activations {

    private Activations() {
    }

    /** SiLU (swish with beta 1): x * sigmoid(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** CLIP's quick-GELU: x * sigmoid(1.702 x) (DJL's {@code Activation.swish} multiplies by a Number: see {@link Scalars}). */
    public static NDArray quickGelu(NDArray x) {
        return Activation.sigmoid(Scalars.mul(x, 1.702f)).mul(x);
    }

    /** Exact (erf) GELU, as {@code torch.nn.functional.gelu} with approximate="none". */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }
}

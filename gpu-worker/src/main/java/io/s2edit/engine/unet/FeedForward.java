package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Linear;
import io.s2edit.engine.nn.Module;

/**
 * diffusers {@code FeedForward} with activation "geglu": {@code net.0} is a {@link GEGLU} from C
 * to F = 4C, {@code net.1} dropout (no parameters, absent here), {@code net.2} a Linear [C, F].
 */
public final class FeedForward extends Module {

    /** The {@code net} container, keyed "0" and "2" like the checkpoint. */
    private static final class Net extends Module {
        final GEGLU geglu;
        final Linear out;

        Net(int dim, int inner) {
            this.geglu = child("0", new GEGLU(dim, inner));
            this.out = child("2", new Linear(inner, dim, true));
        }
    }

    private final Net net;

    public FeedForward(int dim, int mult) {
        this.net = child("net", new Net(dim, dim * mult));
    }

    /** x [B, T, C] -> [B, T, C]. */
    public NDArray forward(NDArray x) {
        return net.out.forward(net.geglu.forward(x));
    }
}

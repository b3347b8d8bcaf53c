package io.s2edit.s2edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Seeded Gaussian noise drawn in Java, so that a seed fixes the method's randomness on every
 * device and independently of the engine's global generator. {@link Random#nextGaussian()} is
 * specified exactly (polar method), so a sequence is the same on every JVM.
 */
public final class Noise {

    private Noise() {
    }

    /** N(0, 1) array of {@code shape}, the next {@code prod(shape)} draws of {@code random} in row-major order. */
    public static NDArray gaussian(NDManager manager, Random random, long... shape) {
        int n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, Math.toIntExact(d));
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        // Created at its final shape: the array that owns the Java buffer is the one returned, so
        // it can be kept past a scope (a reshaped view of it could outlive the buffer).
        return manager.create(values, new Shape(shape));
    }
}

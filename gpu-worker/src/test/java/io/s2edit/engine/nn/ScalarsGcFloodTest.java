package io.s2edit.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Scalars on autograd paths must survive garbage collection between forward and backward: DJL's
 * {@code mul(Number)} scalar lives in a Java buffer that is dropped right after the op, and
 * backward read it after the GC had freed it (NaN gradients in fine-tuning). Each case runs
 * backward once directly and once after GCs and a flood of NaN-filled direct buffers (which take
 * over freed memory); the gradients must be identical.
 */
class ScalarsGcFloodTest {

    @Test
    void scaledProductKeepsItsGradientAcrossGc() {
        assertGcSafe(x -> Scalars.mul(x, 0.125f));
    }

    @Test
    void quickGeluKeepsItsGradientAcrossGc() {
        assertGcSafe(Activations::quickGelu);
    }

    @Test
    void attentionScaleKeepsItsGradientAcrossGc() {
        assertGcSafe(x -> MultiHead.probabilities(x.reshape(2, 4, 8), x.reshape(2, 4, 8), null));
    }

    static void assertGcSafe(UnaryOperator<NDArray> f) {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] direct = gradient(manager, f, false);
            float[] afterGc = gradient(manager, f, true);
            assertArrayEquals(direct, afterGc);
        }
    }

    static float[] gradient(NDManager manager, UnaryOperator<NDArray> f, boolean collectGarbage) {
        float[] values = new float[64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i * 0.7) * 2f;
        }
        NDArray x = manager.create(values).duplicate(); // owned by libtorch
        x.setRequiresGradient(true);
        try (NDScope scope = new NDScope()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(x).square().sum();
                if (collectGarbage) {
                    flood(manager);
                }
                collector.backward(y);
            }
            return x.getGradient().toFloatArray();
        }
    }

    /** GCs, then allocates many small NaN direct buffers so freed scalar memory gets reused. */
    static void flood(NDManager manager) {
        float[] nan = new float[1];
        Arrays.fill(nan, Float.NaN);
        for (int round = 0; round < 3; round++) {
            System.gc();
            try (NDManager junk = manager.newSubManager()) {
                for (int i = 0; i < 2000; i++) {
                    junk.create(nan);
                }
            }
        }
    }
}

package io.s2edit.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Scalars}: the same numbers as {@code NDArray.mul/div(Number)}, and gradients that survive a
 * garbage collection between forward and backward (which, with {@code mul(Number)}, free the
 * buffer autograd still reads: NaN in every trial of this setup).
 */
class ScalarsTest {

    @Test
    void sameBitsAsMultiplyingByANumber() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(1000));
            assertArrayEquals(x.mul(0.1f).toFloatArray(), Scalars.mul(x, 0.1f).toFloatArray());
            assertArrayEquals(x.div(0.3f).toFloatArray(), Scalars.div(x, 0.3f).toFloatArray());
        }
    }

    @Test
    void gradientsSurviveAGarbageCollectionBeforeBackward() throws InterruptedException {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int trial = 0; trial < 5; trial++) {
                NDArray x = m.create(new float[] {1, 2, 3});
                x.setRequiresGradient(true);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = Scalars.div(Scalars.mul(x, 3f), 2f).sum(); // d/dx = 1.5
                    fillFreedBuffersWithNaN();
                    collector.backward(y);
                }
                try (NDArray gradient = x.getGradient()) {
                    assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f}, gradient.toFloatArray(), "trial " + trial);
                }
            }
        }
    }

    /** A GC frees unreachable direct buffers; new ones holding NaN then likely reuse their memory. */
    private static void fillFreedBuffersWithNaN() throws InterruptedException {
        System.gc();
        Thread.sleep(20);
        List<ByteBuffer> junk = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            junk.add(b);
        }
    }
}

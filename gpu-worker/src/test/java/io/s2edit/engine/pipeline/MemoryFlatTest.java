package io.s2edit.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.ResidentMemory;
import io.s2edit.engine.testing.Reference;
import org.junit.jupiter.api.Test;

/**
 * A 200-step run keeps memory flat: after step 20 the number of live NDArrays never changes (every
 * step's temporaries are closed with its scope) and resident memory grows by less than 5%. The
 * build runs this test in a JVM whose heap is committed and touched at start (see the pom), so the
 * resident figure tracks native memory rather than the Java heap expanding.
 */
class MemoryFlatTest {

    @Test
    void twoHundredStepsKeepArraysAndResidentMemoryFlat() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                StableDiffusion model = StableDiffusion.load(Reference.root().resolve("tiny-wide"), m)) {
            TextToImage pipeline = new TextToImage(model);
            TextToImage.Request request = new TextToImage.Request("a photo of a cat", "", 200, 7.5, 48, 80);
            NDArray noise = m.randomNormal(new Shape(pipeline.noiseShape(request)));
            long[] arraysAt20 = {-1};
            long[] rssAt20 = {-1};
            long[] maxArraysAfter = {-1};
            long[] maxRssAfter = {-1};
            pipeline.generate(request, noise, m, (stage, step, total) -> {
                long arrays = m.getManagedArrays().size();
                long rss = ResidentMemory.kib();
                if (step % 20 == 0) {
                    System.out.printf("step %d: %d arrays, RSS %d KiB, heap used %d KiB%n", step, arrays, rss,
                            (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1024);
                }
                if (step == 20) {
                    arraysAt20[0] = arrays;
                    rssAt20[0] = rss;
                } else if (step > 20) {
                    maxArraysAfter[0] = Math.max(maxArraysAfter[0], arrays);
                    maxRssAfter[0] = Math.max(maxRssAfter[0], rss);
                }
            });
            assertEquals(arraysAt20[0], maxArraysAfter[0], "live NDArrays after step 20 vs at step 20");
            double growth = (maxRssAfter[0] - rssAt20[0]) / (double) rssAt20[0];
            System.out.printf("memory: %d live arrays; RSS %d KiB at step 20, max %d KiB after (%+.2f%%)%n",
                    arraysAt20[0], rssAt20[0], maxRssAfter[0], 100 * growth);
            assertTrue(growth < 0.05, "resident memory grew " + 100 * growth + "% after step 20");
        }
    }
}

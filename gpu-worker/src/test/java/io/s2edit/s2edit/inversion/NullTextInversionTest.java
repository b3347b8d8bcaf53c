package io.s2edit.s2edit.inversion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import io.s2edit.engine.Progress;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.testing.Reference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What Null-text inversion is for, on the tiny checkpoint and the reference input (16x16 image,
 * N = 10, guidance 5): guided DDIM from x_T with the optimised null embeddings lands closer to the
 * source latents than with the embedding of "" (DDIM inversion alone).
 *
 * <p>Measured: latent MSE to the source 2.90 with null text against 16.2 without, a factor of
 * 5.6 (asserted: more than 4; the reference script measures the same 5.60). Read it for what it
 * is: on these random weights both reconstructions are far from the source (its latents have
 * variance 0.004 and max 0.19), because a random UNet is no denoiser, so even DDIM inversion at
 * guidance 1 does not retrace its path, and 10 Adam iterations at lr 1e-2 per step can only
 * lower each step's loss by a few percent (0.130 -> 0.070 at step 0, 2.90 -> 2.897 at step 9).
 * In image space neither is closer (decoded-image MSE 0.063 with null text, 0.055 without). The
 * paper's near-exact reconstruction needs trained weights; these tests pin the algorithm, its
 * parity with the reference and the direction of its effect.
 */
class NullTextInversionTest {

    @Test
    void nullTextReconstructsFarCloserThanDdimInversionAlone() {
        NullTextRuns runs = NullTextRuns.get();
        InversionResult result = runs.run(NullTextRuns.MAIN).result();
        try (NDScope scope = new NDScope()) {
            Reconstruction nullText = runs.nullTextReconstruction(NullTextRuns.MAIN);
            Reconstruction plain = runs.plainReconstruction(NullTextRuns.MAIN);
            NDArray source = result.sourceLatents();
            double nullTextError = mse(nullText.latents(), source);
            double plainError = mse(plain.latents(), source);
            NDArray sourceImage = runs.model.vae().decodeLatents(source).div(2).add(0.5f).clip(0, 1);
            System.out.printf("[NullTextInversionTest] latent MSE to the source: null text %.4g, DDIM only %.4g (factor %.2f), "
                    + "source variance %.4g; image MSE to the decoded source: null text %.4g, DDIM only %.4g%n", nullTextError,
                    plainError, plainError / nullTextError, mse(source, source.mean()), mse(nullText.image(), sourceImage),
                    mse(plain.image(), sourceImage));
            assertTrue(plainError / nullTextError > 4, "DDIM-only / null-text latent MSE " + plainError / nullTextError);
        }
    }

    @Test
    void everyStepLowersItsLoss() {
        for (InversionResult.StepDiagnostics s : NullTextRuns.get().run(NullTextRuns.MAIN).result().steps()) {
            assertTrue(s.finalLoss() < s.firstLoss(), "step " + s.step() + ": loss " + s.firstLoss() + " -> " + s.finalLoss());
        }
    }

    /** Two inversions of the same input agree bit for bit; progress comes per step of each stage. */
    @Test
    void identicalInputsGiveIdenticalOutputsAndReportProgress() {
        NullTextRuns runs = NullTextRuns.get();
        NullTextOptions small = NullTextOptions.DEFAULT.withSteps(2).withInnerSteps(3);
        try (NDManager m = NDManager.newBaseManager()) {
            NullTextRuns.Run first = runs.fresh(small, m);
            NullTextRuns.Run again = runs.fresh(small, m);
            assertArrayEquals(first.result().xT().toFloatArray(), again.result().xT().toFloatArray(), "x_T");
            for (int i = 0; i < small.steps(); i++) {
                assertArrayEquals(first.result().nullEmbeddings().get(i).toFloatArray(),
                        again.result().nullEmbeddings().get(i).toFloatArray(), "null embedding " + i);
            }
            assertEquals(first.result().steps(), again.result().steps(), "losses and iteration counts");
            assertEquals(List.of("ddim-inversion 1/2", "ddim-inversion 2/2", "null-text 1/2", "null-text 2/2"), first.progress());
        }
    }

    /** innerSteps 0 is DDIM inversion alone: every null embedding stays the embedding of "". */
    @Test
    void zeroInnerStepsKeepTheStartingEmbedding() {
        NullTextRuns runs = NullTextRuns.get();
        try (NDManager m = NDManager.newBaseManager()) {
            InversionResult result = runs.fresh(NullTextOptions.DEFAULT.withSteps(2).withInnerSteps(0), m).result();
            for (NDArray embedding : result.nullEmbeddings()) {
                assertArrayEquals(runs.empty.toFloatArray(), embedding.toFloatArray());
            }
            for (InversionResult.StepDiagnostics s : result.steps()) {
                assertEquals(0, s.iterations());
                assertTrue(Double.isNaN(s.finalLoss()) && !s.earlyStopped(), s.toString());
            }
        }
    }

    /** Editing denoises a batch of prompts (source first) from one x_T: each row equals its own single run. */
    @Test
    void batchedReconstructionRepeatsTheSingleOne() {
        NullTextRuns runs = NullTextRuns.get();
        InversionResult result = runs.run(NullTextRuns.EARLY).result();
        double w = result.options().guidance();
        try (NDManager m = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            NDArray twoPrompts = NDArrays.concat(new NDList(runs.conditional, runs.empty)); // [2, 77, D]
            List<String> stages = new ArrayList<>();
            Reconstruction both = runs.inversion.reconstruct(result, twoPrompts, w, m, (stage, step, total) -> stages.add(stage));
            Reconstruction source = runs.nullTextReconstruction(NullTextRuns.EARLY);
            Reconstruction other = runs.inversion.reconstruct(result, runs.empty, w, m, Progress.NONE);
            Reference.assertClose(source.latents(), both.latents().get(new NDIndex("0:1")), 1e-5, "batch row 0 latents");
            Reference.assertClose(other.latents(), both.latents().get(new NDIndex("1:2")), 1e-5, "batch row 1 latents");
            Reference.assertClose(source.image(), both.image().get(new NDIndex("0:1")), 1e-5, "batch row 0 image");
            assertEquals(List.of("reconstruct", "reconstruct", "reconstruct"), stages);
        }
    }

    @Test
    void refusesAUnetThatRecordsGradients() {
        NullTextRuns runs = NullTextRuns.get();
        Checkpoint.setTrainable(runs.model.unet(), true);
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> runs.inversion.invert(runs.image,
                    runs.conditional, runs.empty, NullTextOptions.DEFAULT.withSteps(1), m, Progress.NONE));
            assertTrue(e.getMessage().contains("Checkpoint.setTrainable(unet, false)"), e.getMessage());
        } finally {
            Checkpoint.setTrainable(runs.model.unet(), false);
        }
    }

    @Test
    void rejectsBadInputsByName() {
        NullTextRuns runs = NullTextRuns.get();
        try (NDManager m = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> runs.inversion.invert(runs.image,
                    runs.conditional.get(new NDIndex(":, :, :16")), NullTextOptions.DEFAULT, m, Progress.NONE));
            assertTrue(shape.getMessage().startsWith("conditional embedding must be [1, S, 32]"), shape.getMessage());
            IllegalArgumentException image = assertThrows(IllegalArgumentException.class, () -> runs.inversion.invert(
                    runs.image.get(new NDIndex(":, 0:1")), runs.conditional, NullTextOptions.DEFAULT, m, Progress.NONE));
            assertTrue(image.getMessage().startsWith("image must be one RGB image"), image.getMessage());
        }
    }

    @Test
    void optionsDefaultToThePaperAndNameTheirLimits() {
        NullTextOptions d = NullTextOptions.DEFAULT;
        assertEquals(new NullTextOptions(50, 5.0, 10, 1e-5, 2e-5), d);
        assertEquals(1e-2, d.learningRate(0));
        assertEquals(1e-2 * (1 - 49 / 100.), d.learningRate(49));
        assertEquals(1e-5 + 3 * 2e-5, d.earlyStopThreshold(3));
        assertMessage("steps must be in [1, 100], got 101", () -> d.withSteps(101));
        assertMessage("guidance must be in [1, 100], got 0.5", () -> d.withGuidance(0.5));
        assertMessage("guidance must be in [1, 100], got NaN", () -> d.withGuidance(Double.NaN));
        assertMessage("innerSteps must be in [0, 1000], got -1", () -> d.withInnerSteps(-1));
        assertMessage("earlyStopEpsilon must be finite and >= 0, got -1.0", () -> new NullTextOptions(50, 5, 10, -1, 0));
        assertMessage("earlyStopSlope must be finite and >= 0, got Infinity",
                () -> new NullTextOptions(50, 5, 10, 0, Double.POSITIVE_INFINITY));
    }

    private static void assertMessage(String start, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }

    private static double mse(NDArray a, NDArray b) {
        return a.sub(b).square().mean().getFloat();
    }
}

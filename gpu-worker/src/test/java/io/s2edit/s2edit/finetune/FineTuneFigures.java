package io.s2edit.s2edit.finetune;

import ai.djl.ndarray.NDManager;
import io.s2edit.engine.io.SafeTensorsWriter.Precision;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.TinyFixture;
import io.s2edit.s2edit.artifact.ArtifactRoundTripTest;
import io.s2edit.s2edit.artifact.Artifacts;
import io.s2edit.s2edit.prompt.EnhancedPrompt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Prints the fine-tuning figures of the paper's setting on the tiny checkpoint (200 steps, lr 2e-6,
 * λ 0.1, semantic and spatial control, 50-step mask pass): time per step, L_recons on a fixed set
 * before and after, |cos(e_P, e_[I])| before and after, and the UNet output error of fp16 and fp32
 * weight deltas. Not a test (asserts nothing); run with
 * {@code mvn -pl gpu-worker -am test -Dtest=FineTuneFigures -Ds2edit.figures=true}.
 */
@EnabledIfSystemProperty(named = "s2edit.figures", matches = "true")
class FineTuneFigures {

    @Test
    void paperSetting() throws Exception {
        int steps = Integer.getInteger("s2edit.figures.steps", 200);
        double tokenLr = Double.parseDouble(System.getProperty("s2edit.figures.tokenLr", "2e-6"));
        EnhancedPrompt prompt = EnhancedPrompt.identity("a photo of a [I] cat", "cat");
        FineTuneOptions options = FineTuneOptions.builder().steps(steps).tokenLearningRate(tokenLr).seed(1).build();
        int[] ts = {50, 200, 350, 500, 650, 800, 900, 990};
        Path dir = Files.createTempDirectory("s2edit-figures");
        float[] tuned;
        try (NDManager manager = NDManager.newBaseManager(); StableDiffusion model = TinyFixture.load(manager)) {
            long start = System.nanoTime();
            FineTuneSession session = new IdentityFineTuner(model, options).start(
                    List.of(TrainingPair.of(TinyFixture.disc(), prompt)), (s, i, n) -> { });
            double prepare = (System.nanoTime() - start) / 1e9;
            double lossBefore = IdentityFineTunerTest.meanLoss(session, ts);
            double cosBefore = session.semanticLoss(0);
            session.train((s, i, n) -> { });
            double lossAfter = IdentityFineTunerTest.meanLoss(session, ts);
            double cosAfter = session.semanticLoss(0);
            FineTuneResult result = session.result();
            session.close();
            tuned = ArtifactRoundTripTest.output(model, result.masks().get("[I]"));
            Artifacts.save(dir.resolve("fp32"), model, result, options, Precision.F32);
            Artifacts.save(dir.resolve("fp16"), model, result, options, Precision.F16);
            System.out.printf("FIGURES tiny, %d steps, lr 2e-6, token lr %.1g, semantic+spatial on, threads %s%n", steps, tokenLr,
                    System.getProperty("ai.djl.pytorch.num_threads", "default"));
            System.out.printf("FIGURES prepare (token, VAE, 50-step mask pass): %.2f s; fine-tune %.1f ms/step%n", prepare,
                    1000 * result.secondsPerStep());
            System.out.printf("FIGURES fixed-set L_recons %.5f -> %.5f; |cos(e_P, e_[I])| %.4f -> %.4f; mask coverage %.2f%n",
                    lossBefore, lossAfter, cosBefore, cosAfter, result.masks().get("[I]").coverage());
        }
        float[] fp32 = ArtifactRoundTripTest.reloadedOutput(dir.resolve("fp32"));
        float[] fp16 = ArtifactRoundTripTest.reloadedOutput(dir.resolve("fp16"));
        System.out.printf("FIGURES delta reload: max|eps| %.3f, fp32 error %.3g, fp16 error %.3g%n", ArtifactRoundTripTest.maxAbs(tuned),
                ArtifactRoundTripTest.maxAbsDiff(tuned, fp32), ArtifactRoundTripTest.maxAbsDiff(tuned, fp16));
    }
}

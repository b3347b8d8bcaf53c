package io.s2edit.s2edit.stages;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.Progress;
import io.s2edit.engine.io.SafeTensors;
import io.s2edit.engine.io.SafeTensorsWriter;
import io.s2edit.engine.pipeline.Images;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.artifact.Artifacts;
import io.s2edit.s2edit.artifact.TokenEmbeddings;
import io.s2edit.s2edit.artifact.WeightDelta;
import io.s2edit.s2edit.attention.AttentionEdit;
import io.s2edit.s2edit.edit.EditOptions;
import io.s2edit.s2edit.edit.LocalBlendOptions;
import io.s2edit.s2edit.edit.PromptToPromptPipeline;
import io.s2edit.s2edit.edit.Reweight;
import io.s2edit.s2edit.finetune.FineTuneOptions;
import io.s2edit.s2edit.finetune.FineTuneResult;
import io.s2edit.s2edit.finetune.IdentityFineTuner;
import io.s2edit.s2edit.finetune.StepLog;
import io.s2edit.s2edit.finetune.TrainingPair;
import io.s2edit.s2edit.inversion.InversionAttention;
import io.s2edit.s2edit.inversion.InversionResult;
import io.s2edit.s2edit.inversion.NullTextInversion;
import io.s2edit.s2edit.inversion.NullTextOptions;
import io.s2edit.s2edit.prompt.EnhancedPrompt;
import io.s2edit.s2edit.prompt.Placeholder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The S2Edit chain on the engine: identity fine-tuning with semantic and spatial control
 * ({@link IdentityFineTuner}), Null-text inversion under the fine-tuned model
 * ({@link NullTextInversion}) and Prompt-to-Prompt editing ({@link PromptToPromptPipeline}), with
 * the [I] mask applied to every cross-attention layer in fine-tuning, inversion and editing, as the
 * paper applies spatial control "during both fine-tuning and inference stages" (§3.2): the null
 * embeddings are fitted with the mask on the conditional rows, as editing will run the model.
 *
 * <p>Images are fitted to the checkpoint's native size (centre crop to its aspect, then resized;
 * {@link ImageFit}). Without fine-tuning (the ablation baseline) the prompt's [I] still names a new
 * token whose row is the object word's, and no delta is written.
 */
public final class DefaultS2EditStages implements S2EditStages {

    @Override
    public StageSummary fineTune(StableDiffusion base, FineTuneInput input, Path outDir, Progress progress)
            throws IOException {
        long started = System.nanoTime();
        List<TrainingPair> pairs = new ArrayList<>();
        pairs.add(new TrainingPair(ImageFit.toModel(base, Images.read(input.image())),
                EnhancedPrompt.parse(input.sourcePrompt(), input.objectWord(), Placeholder.IDENTITY),
                input.userMask() == null ? null : Images.read(input.userMask())));
        if (input.reference() != null) {
            FineTuneInput.Reference ref = input.reference();
            pairs.add(new TrainingPair(ImageFit.toModel(base, Images.read(ref.image())),
                    EnhancedPrompt.parse(ref.prompt(), ref.objectWord(), Placeholder.ATTRIBUTE),
                    ref.userMask() == null ? null : Images.read(ref.userMask())));
        }
        FineTuneOptions defaults = FineTuneOptions.defaults();
        FineTuneOptions options = defaults.toBuilder()
                .finetune(input.identityFineTune())
                .semantic(input.semanticControl())
                .spatial(input.spatialControl())
                .steps(input.steps())
                .learningRate(input.learningRate())
                .semanticWeight(input.semanticWeight())
                .mask(defaults.mask().withThreshold(input.maskThreshold()).withSteps(input.maskSteps()))
                .seed(input.seed())
                .build();
        FineTuneResult result = new IdentityFineTuner(base, options).fineTune(pairs, progress);
        Files.createDirectories(outDir);
        Artifacts.Saved saved = Artifacts.save(outDir, base, result, options, SafeTensorsWriter.Precision.F16);
        List<String> files = new ArrayList<>();
        files.add(saved.tokens().getFileName().toString());
        if (saved.delta() != null) {
            files.add(saved.delta().getFileName().toString());
        }
        saved.masks().values().forEach(p -> files.add(p.getFileName().toString()));
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("seconds", (System.nanoTime() - started) / 1e9);
        metrics.put("steps", (double) result.steps());
        if (!result.log().isEmpty()) {
            StepLog last = result.log().get(result.log().size() - 1);
            metrics.put("final_reconstruction_loss", (double) last.reconstruction());
            metrics.put("final_semantic_loss", (double) last.semantic());
        }
        result.masks().forEach((token, mask) -> metrics.put("mask_coverage_" + token.replaceAll("\\W", ""), mask.coverage()));
        return new StageSummary(files, metrics);
    }

    @Override
    public void applyFineTune(StableDiffusion freshBase, Path fineTuneDir) throws IOException {
        Path delta = fineTuneDir.resolve(Artifacts.DELTA);
        if (Files.isRegularFile(delta)) {
            WeightDelta.applyTo(freshBase, delta, false);
        }
        TokenEmbeddings.read(fineTuneDir.resolve(Artifacts.TOKENS)).applyTo(freshBase);
    }

    @Override
    public StageSummary invert(StableDiffusion tuned, InvertInput input, Path fineTuneDir, Path outDir,
            Progress progress) throws IOException {
        long started = System.nanoTime();
        NullTextOptions options = NullTextOptions.DEFAULT.withSteps(input.steps()).withGuidance(input.guidance())
                .withInnerSteps(input.innerSteps());
        try (NDManager work = tuned.manager().newSubManager()) {
            NDArray image = Images.toSignedTensor(ImageFit.toModel(tuned, Images.read(input.image())), work);
            NDArray conditional;
            try (NDScope scope = new NDScope()) {
                conditional = io.s2edit.engine.Scopes.keep(tuned.encodePrompt(input.sourcePrompt()), work);
            }
            InversionResult result = new NullTextInversion(tuned, inversionAttention(tuned, fineTuneDir, input.sourcePrompt()))
                    .invert(image, conditional, options, work, progress);
            Files.createDirectories(outDir);
            SafeTensorsWriter writer = new SafeTensorsWriter()
                    .put(LatentsFile.X_T, result.xT())
                    .put(LatentsFile.NULL_EMBEDDINGS, NDArrays.concat(new NDList(result.nullEmbeddings())))
                    .metadata(LatentsFile.STEPS, Integer.toString(input.steps()))
                    .metadata(LatentsFile.GUIDANCE, Double.toString(input.guidance()))
                    .metadata(LatentsFile.INNER_STEPS, Integer.toString(input.innerSteps()))
                    .metadata(LatentsFile.PROMPT, input.sourcePrompt());
            writer.write(outDir.resolve(StageFiles.LATENTS));
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("seconds", (System.nanoTime() - started) / 1e9);
            metrics.put("inner_iterations",
                    (double) result.steps().stream().mapToInt(InversionResult.StepDiagnostics::iterations).sum());
            return new StageSummary(List.of(StageFiles.LATENTS), metrics);
        }
    }

    @Override
    public StageSummary edit(StableDiffusion tuned, EditInput input, Path fineTuneDir, Path invertDir, Path outDir,
            Progress progress) throws IOException {
        long started = System.nanoTime();
        try (NDManager work = tuned.manager().newSubManager();
                SafeTensors latents = SafeTensors.open(invertDir.resolve(StageFiles.LATENTS))) {
            int steps = Integer.parseInt(latents.metadata().getOrDefault(LatentsFile.STEPS, "-1"));
            double guidance = Double.parseDouble(latents.metadata().getOrDefault(LatentsFile.GUIDANCE, "NaN"));
            if (steps != input.steps() || guidance != input.guidance()) {
                throw new IllegalArgumentException("the edit must use the inversion's steps and guidance (" + steps + ", "
                        + guidance + "), got " + input.steps() + ", " + input.guidance());
            }
            NDArray xT = latents.load(LatentsFile.X_T, work);
            NDArray stacked = latents.load(LatentsFile.NULL_EMBEDDINGS, work); // [N, 77, D]
            List<NDArray> nulls = new ArrayList<>();
            for (int i = 0; i < steps; i++) {
                nulls.add(stacked.get(i).expandDims(0)); // [1, 77, D]
            }
            EditOptions options = EditOptions.defaults().withSteps(steps).withCross(input.crossReplace())
                    .withSelf(input.selfReplace());
            if (!input.reweight().isEmpty()) {
                List<String> words = new ArrayList<>(input.reweight().keySet());
                options = options.withReweight(new Reweight(words, words.stream().map(input.reweight()::get).toList()));
            }
            if (!input.localBlendWords().isEmpty()) {
                options = options.withLocalBlend(LocalBlendOptions.of(input.localBlendWords())
                        .withThreshold(input.localBlendThreshold()));
            }
            List<String> prompts = new ArrayList<>();
            prompts.add(input.sourcePrompt());
            prompts.addAll(input.targets());
            List<String> batch = new ArrayList<>();
            prompts.forEach(p -> batch.add(""));
            batch.addAll(prompts);
            List<AttentionEdit> edits = LearnedTokenMasks.read(tuned, fineTuneDir)
                    .edits(batch.stream().map(tuned.tokenizer()::encode).toList()); // "" rows: unconditional
            PromptToPromptPipeline.Result result = PromptToPromptPipeline.edit(tuned, xT, nulls, input.sourcePrompt(),
                    input.targets(), guidance, options, edits, progress, work);
            Files.createDirectories(outDir);
            List<String> files = new ArrayList<>();
            for (int n = 0; n < input.targets().size(); n++) {
                String name = StageFiles.editImage(n);
                Images.writePng(Images.toImage(result.images().get(n + 1).expandDims(0)), outDir.resolve(name));
                files.add(name);
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("seconds", (System.nanoTime() - started) / 1e9);
            return new StageSummary(files, metrics);
        }
    }

    /**
     * Spatial control during inversion: the [I] (and [A]) masks on the conditional rows of every
     * UNet call, so the null embeddings are fitted to the model as editing will run it; none when
     * spatial control was off.
     */
    private static InversionAttention inversionAttention(StableDiffusion tuned, Path fineTuneDir, String sourcePrompt)
            throws IOException {
        LearnedTokenMasks masks = LearnedTokenMasks.read(tuned, fineTuneDir);
        if (masks.isEmpty()) {
            return null;
        }
        TokenIds source = tuned.tokenizer().encode(sourcePrompt);
        TokenIds empty = tuned.tokenizer().encode("");
        return rows -> masks.edits(Arrays.stream(rows).mapToObj(r -> r == InversionAttention.NULL_TEXT ? empty : source)
                .toList());
    }
}

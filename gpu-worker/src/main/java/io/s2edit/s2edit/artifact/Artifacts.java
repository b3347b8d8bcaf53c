package io.s2edit.s2edit.artifact;

import ai.djl.ndarray.NDManager;
import io.s2edit.engine.io.SafeTensorsWriter.Precision;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.finetune.FineTuneOptions;
import io.s2edit.s2edit.finetune.FineTuneResult;
import io.s2edit.s2edit.mask.ObjectMask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The artifacts of one fine-tuning run in one folder, so an edit can run later without
 * fine-tuning again:
 * <pre>
 *   token-embeddings.safetensors   {@link TokenEmbeddings}
 *   weight-delta.safetensors       {@link WeightDelta} (absent when fine-tuning was off)
 *   object-mask.png                M_obj of [I] at image size, white = object ({@link ObjectMask#writePng})
 *   object-mask-A.png              M_obj of [A] (compositional editing)
 * </pre>
 * {@link #load} rebuilds the fine-tuned model from a freshly loaded base checkpoint: delta first,
 * then the token rows.
 */
public final class Artifacts {

    public static final String TOKENS = "token-embeddings.safetensors";
    public static final String DELTA = "weight-delta.safetensors";
    /** M_obj of [I]; other tokens' masks are named by {@link #maskFile}. */
    public static final String OBJECT_MASK = "object-mask.png";

    /** Where each file went. */
    public record Saved(Path tokens, Path delta, Map<String, Path> masks, WeightDelta.Summary deltaSummary) {
    }

    private Artifacts() {
    }

    /** "object-mask.png" for "[I]" (the artifact layout's name), "object-mask-A.png" for "[A]". */
    public static String maskFile(String token) {
        return token.equals("[I]") ? OBJECT_MASK : "object-mask-" + token.replaceAll("[^A-Za-z0-9]", "") + ".png";
    }

    /** Writes the run's artifacts into {@code directory}. */
    public static Saved save(Path directory, StableDiffusion fineTuned, FineTuneResult result, FineTuneOptions options,
            Precision precision) throws IOException {
        ArtifactMetadata metadata = ArtifactMetadata.of(TokenEmbeddings.KIND, fineTuned.directory(), options, options.seed());
        Path tokens = directory.resolve(TOKENS);
        TokenEmbeddings.capture(fineTuned, result.tokens().stream().map(FineTuneResult.LearnedToken::text).toList(), metadata,
                options.spatial()).write(tokens);
        WeightDelta.Summary summary = null;
        Path delta = null;
        if (options.finetune()) {
            delta = directory.resolve(DELTA);
            summary = WeightDelta.write(fineTuned, delta, precision, WeightDelta.Scope.CHANGED, metadata);
        }
        Map<String, Path> masks = new LinkedHashMap<>();
        int f = fineTuned.vae().config().downscaleFactor();
        for (Map.Entry<String, ObjectMask> entry : result.masks().entrySet()) {
            Path file = directory.resolve(maskFile(entry.getKey()));
            ObjectMask mask = entry.getValue();
            mask.writePng(file, mask.height() * f, mask.width() * f);
            masks.put(entry.getKey(), file);
        }
        return new Saved(tokens, delta, masks, summary);
    }

    /**
     * Loads the base checkpoint at {@code base} and applies the artifacts in {@code directory}.
     *
     * @param verifyBase check the base files against the artifacts' checksums
     */
    public static StableDiffusion load(Path directory, Path base, NDManager manager, boolean verifyBase) throws IOException {
        TokenEmbeddings tokens = TokenEmbeddings.read(directory.resolve(TOKENS));
        StableDiffusion model = StableDiffusion.load(base, manager);
        try {
            if (Files.isRegularFile(directory.resolve(DELTA))) {
                WeightDelta.applyTo(model, directory.resolve(DELTA), verifyBase);
            } else if (verifyBase) {
                tokens.metadata().baseModel().verify(base);
            }
            tokens.applyTo(model);
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** M_obj of {@code token} saved by {@link #save}, at the latent size {@code height x width}. */
    public static ObjectMask loadMask(Path directory, String token, int height, int width) throws IOException {
        return ObjectMask.read(directory.resolve(maskFile(token)), height, width);
    }
}

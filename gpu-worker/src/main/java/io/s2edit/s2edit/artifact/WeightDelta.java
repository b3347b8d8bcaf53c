package io.s2edit.s2edit.artifact;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.io.SafeTensors;
import io.s2edit.engine.io.SafeTensorsWriter;
import io.s2edit.engine.io.SafeTensorsWriter.Precision;
import io.s2edit.engine.nn.Parameter;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.text.ClipTextModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fine-tuned minus base, for every UNet and text-encoder weight, as a safetensors file: tensors
 * keyed {@code unet.<checkpoint key>} and {@code text_encoder.<checkpoint key>} (the text encoder's
 * keys with their {@code text_model.} prefix), metadata {@link ArtifactMetadata} (format
 * {@code s2edit.weight-delta/1}) plus {@code precision} and {@code scope}. The token-embedding
 * table's delta covers the base rows only; the new tokens' rows are {@link TokenEmbeddings}.
 *
 * <p><b>Precision.</b> fp16 by default (half the size of fp32: about 1.9 GB for SD v1.x's UNet
 * and text encoder); fp32 on request.
 * <ul>
 *   <li>fp32 is lossless. {@code fl(base + fl(tuned − base))} equals tuned wherever the two are
 *       within a factor 2 of each other (Sterbenz), but not where a weight moved across or close
 *       to zero (b = −2.2e-4 → w = 1.6e-5 cannot be reached from b by adding any float). For
 *       those few elements (1,080 of 2.4 M, 0.05%, on the tiny checkpoint after 3 steps at lr
 *       1e-4; without them the UNet output was off by 8e-7, and by 1.3e-6 after the paper's 200
 *       steps) the file also holds the exact values, {@code <key>.exact_index}
 *       (I64 flat indices) and {@code <key>.exact_value} (F32), which {@link #applyTo} writes
 *       over the sum: the reloaded weights and outputs are bit-identical.</li>
 *   <li>fp16 rounds each delta to 11 significant bits (relative error ≤ 2^-11 ≈ 4.9e-4 of the
 *       delta; deltas below 6e-8 become subnormal or zero). Measured on the tiny checkpoint (UNet
 *       output eps with max |eps| ≈ 1.1): 5.1e-6 max abs error after the paper's 200 steps at lr
 *       2e-6, 6.0e-6 after 3 steps at lr 1e-4 ({@code ArtifactRoundTripTest}, bound 2e-5), while
 *       fine-tuning itself moved eps by up to 0.46; {@code FineTuneFigures} prints these.</li>
 * </ul>
 *
 * <p><b>Scope.</b> {@link Scope#CHANGED} (default) stores only weights that differ from the base
 * (with AdamW's weight decay that is usually all of them); {@link Scope#ALL} stores every weight.
 * Writing reads the base weights back from the checkpoint files and streams one tensor at a time.
 */
public final class WeightDelta {

    /** The artifact kind in the format string. */
    public static final String KIND = "weight-delta";

    /** Which weights are stored. */
    public enum Scope { CHANGED, ALL }

    /**
     * @param tensors tensors written
     * @param parameters their element count
     * @param unchanged weights equal to the base (left out under {@link Scope#CHANGED})
     * @param exactValues elements stored exactly beside the fp32 delta (0 for fp16)
     * @param bytes file size
     */
    public record Summary(Path file, int tensors, long parameters, int unchanged, long exactValues, long bytes) {
    }

    private static final String EXACT_INDEX = ".exact_index";
    private static final String EXACT_VALUE = ".exact_value";
    private static final String UNET = "unet.";
    private static final String TEXT = "text_encoder.";
    private static final String UNET_FILE = "unet/diffusion_pytorch_model.safetensors";
    private static final String TEXT_FILE = "text_encoder/" + ClipTextModel.WEIGHTS;

    private WeightDelta() {
    }

    /**
     * Writes the delta of {@code fineTuned} against its own checkpoint folder's weights.
     *
     * @param metadata made with {@link ArtifactMetadata#of} for this run (kind is set here)
     */
    public static Summary write(StableDiffusion fineTuned, Path file, Precision precision, Scope scope,
            ArtifactMetadata metadata) throws IOException {
        Path base = fineTuned.directory();
        Map<String, Parameter> parameters = parameters(fineTuned);
        SafeTensorsWriter writer = new SafeTensorsWriter().precision(precision);
        metadata.withKind(KIND).toMap().forEach(writer::metadata);
        writer.metadata("precision", precision.name()).metadata("scope", scope.name());
        int unchanged = 0;
        long count = 0;
        int written = 0;
        long exact = 0;
        try (SafeTensors unet = SafeTensors.open(base.resolve(UNET_FILE));
                SafeTensors text = SafeTensors.open(base.resolve(TEXT_FILE));
                NDManager work = fineTuned.manager().newSubManager()) {
            for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
                String key = entry.getKey();
                SafeTensors tensors = key.startsWith(UNET) ? unet : text;
                String fileKey = fileKey(tensors, key);
                Shape baseShape = tensors.info(fileKey).shape();
                Parameter parameter = entry.getValue();
                if (scope == Scope.CHANGED) {
                    boolean same;
                    try (NDScope s = new NDScope()) {
                        same = current(parameter, baseShape).contentEquals(tensors.load(fileKey, work));
                    }
                    if (same) {
                        unchanged++;
                        continue;
                    }
                }
                if (precision == Precision.F32) {
                    try (NDScope s = new NDScope()) {
                        NDArray tuned = current(parameter, baseShape).flatten(); // [N]
                        NDArray baseValue = tensors.load(fileKey, work).flatten();
                        NDArray missed = baseValue.add(tuned.sub(baseValue)).neq(tuned); // [N]: fl(b + fl(w - b)) != w
                        if (missed.any().getBoolean()) {
                            NDArray index = missed.nonzero().flatten(); // [k]
                            writer.put(key + EXACT_INDEX, Scopes.keep(index, work));
                            writer.put(key + EXACT_VALUE, Scopes.keep(tuned.get(new NDIndex("{}", index)), work));
                            exact += index.getShape().get(0);
                        }
                    }
                }
                writer.put(key, baseShape, () -> {
                    try (NDScope s = new NDScope()) {
                        return Scopes.keep(current(parameter, baseShape).sub(tensors.load(fileKey, work)), work);
                    }
                });
                count += baseShape.size();
                written++;
            }
            writer.write(file);
        }
        return new Summary(file, written, count, unchanged, exact, Files.size(file));
    }

    /**
     * Adds the delta in {@code file} to the weights of {@code base}, a freshly loaded base model,
     * before any token embedding is appended.
     *
     * @param verifyBase check the checkpoint's files against the artifact's checksums first
     * @return the artifact's metadata
     */
    public static ArtifactMetadata applyTo(StableDiffusion base, Path file, boolean verifyBase) throws IOException {
        Map<String, Parameter> parameters = parameters(base);
        try (SafeTensors tensors = SafeTensors.open(file); NDManager work = base.manager().newSubManager()) {
            ArtifactMetadata metadata = ArtifactMetadata.fromMap(tensors.metadata(), KIND, file);
            if (verifyBase) {
                metadata.baseModel().verify(base.directory());
            }
            List<String> deltas = tensors.names().stream()
                    .filter(name -> !name.endsWith(EXACT_INDEX) && !name.endsWith(EXACT_VALUE)).toList();
            List<String> problems = new ArrayList<>();
            for (String name : deltas) {
                Parameter parameter = parameters.get(name);
                Shape shape = tensors.info(name).shape();
                if (parameter == null) {
                    problems.add("'" + name + "' is no weight of this model");
                } else if (!parameter.get().getShape().equals(shape)) {
                    problems.add("'" + name + "' is " + shape + " but the weight is " + parameter.get().getShape()
                            + (name.endsWith("token_embedding.weight")
                                    ? " (apply the weight delta before adding token embeddings)" : ""));
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(file + " does not fit this model:\n  " + String.join("\n  ", problems));
            }
            for (String name : deltas) {
                try (NDScope s = new NDScope()) {
                    NDArray weight = parameters.get(name).get();
                    weight.addi(tensors.load(name, work)); // 1. base + delta
                    if (tensors.contains(name + EXACT_INDEX)) { // 2. exact values where the sum cannot reach the weight
                        weight.reshape(-1).set(new NDIndex("{}", tensors.load(name + EXACT_INDEX, work)),
                                tensors.load(name + EXACT_VALUE, work)); // in place through the flat view
                    }
                }
            }
            return metadata;
        }
    }

    /** Every UNet and text-encoder weight under its delta key. */
    private static Map<String, Parameter> parameters(StableDiffusion model) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        model.unet().parameters().forEach((key, p) -> out.put(UNET + key, p));
        model.textEncoder().parameters().forEach((key, p) -> out.put(TEXT + key, p));
        return out;
    }

    /** The key in the checkpoint file: text-encoder files may lack the {@code text_model.} prefix. */
    private static String fileKey(SafeTensors tensors, String key) {
        String inModule = key.startsWith(UNET) ? key.substring(UNET.length()) : key.substring(TEXT.length());
        if (tensors.contains(inModule)) {
            return inModule;
        }
        String unprefixed = inModule.replaceFirst("^text_model\\.", "");
        if (tensors.contains(unprefixed)) {
            return unprefixed;
        }
        throw new IllegalStateException("weight '" + inModule + "' is not in " + tensors.path());
    }

    /** The weight now, cut to the base's rows (the token table has grown by the new tokens). */
    private static NDArray current(Parameter parameter, Shape baseShape) {
        NDArray value = parameter.get();
        if (value.getShape().equals(baseShape)) {
            return value;
        }
        if (value.getShape().dimension() == 2 && value.getShape().get(1) == baseShape.get(1)
                && value.getShape().get(0) > baseShape.get(0)) {
            return value.get(new NDIndex("0:{}", baseShape.get(0))); // [V_base, D]
        }
        throw new IllegalStateException("weight shape " + value.getShape() + " does not extend the base shape " + baseShape);
    }
}

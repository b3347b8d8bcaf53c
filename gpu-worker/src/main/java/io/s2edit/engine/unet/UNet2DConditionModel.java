package io.s2edit.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.nn.Activations;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.nn.Conv2d;
import io.s2edit.engine.nn.GroupNorm;
import io.s2edit.engine.nn.Module;
import io.s2edit.engine.nn.ModuleList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * diffusers {@code UNet2DConditionModel} for SD v1.x configs: the noise predictor
 * eps_theta(z_t, t, c) of latent diffusion (Rombach et al. 2022), parameters keyed exactly like
 * {@code unet/diffusion_pytorch_model.safetensors}.
 *
 * <p>Letters: B batch, C latent channels (4), H x W latent size, E time-embedding width
 * (4 x block_out_channels[0]), S text tokens (77), D text width (cross_attention_dim).
 *
 * <p>Attention is delegated to {@link AttentionProcessor}s, listed and replaced by module path
 * ({@link #attentionProcessors()}); processors are model state, so one model serves one job at a
 * time. The model owns its parameters when made by {@link #load} and frees them on
 * {@link #close()}. Forward temporaries belong to the caller's NDScope.
 */
public final class UNet2DConditionModel extends Module implements AutoCloseable {

    private final UnetConfig config;
    private final Conv2d convIn;
    private final Timesteps timeProj;
    private final TimestepEmbedding timeEmbedding;
    private final ModuleList<DownBlock> downBlocks;
    private final ModuleList<UpBlock> upBlocks;
    private final UNetMidBlock2DCrossAttn midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;
    private final Map<String, Attention> attentionLayers = new LinkedHashMap<>();
    private NDManager owned;

    /** Builds the module tree of {@code config}; parameters stay unset until loaded. */
    public UNet2DConditionModel(UnetConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        List<Integer> channels = config.blockOutChannels();
        int levels = config.levels();
        int temb = config.timeEmbedDim();
        this.convIn = child("conv_in", new Conv2d(config.inChannels(), channels.get(0), 3, 1, 1));
        this.timeProj = child("time_proj", new Timesteps(channels.get(0), config.flipSinToCos(), config.freqShift()));
        this.timeEmbedding = child("time_embedding", new TimestepEmbedding(channels.get(0), temb));
        this.downBlocks = child("down_blocks", new ModuleList<>());
        this.upBlocks = child("up_blocks", new ModuleList<>());
        for (int i = 0; i < levels; i++) {
            BlockSpec spec = new BlockSpec(channels.get(i == 0 ? 0 : i - 1), channels.get(i), 0, temb,
                    config.layersPerBlock().get(i), config.transformerLayersPerBlock().get(i),
                    config.attentionHeads().get(i), config.crossAttentionDim().get(i), config.normNumGroups(),
                    config.normEps(), config.useLinearProjection(), i < levels - 1, config.downsamplePadding(), 1f);
            downBlocks.add(config.downBlockTypes().get(i).equals(UnetConfig.DOWN)
                    ? new DownBlock2D(spec) : new CrossAttnDownBlock2D(spec));
        }
        int last = levels - 1;
        this.midBlock = child("mid_block", new UNetMidBlock2DCrossAttn(new BlockSpec(channels.get(last),
                channels.get(last), 0, temb, 1, config.transformerLayersPerBlock().get(last),
                config.attentionHeads().get(last), config.crossAttentionDim().get(last), config.normNumGroups(),
                config.normEps(), config.useLinearProjection(), false, 0, config.midBlockScaleFactor())));
        for (int i = 0; i < levels; i++) {
            int level = last - i; // up block i mirrors down level (levels - 1 - i)
            BlockSpec spec = new BlockSpec(channels.get(Math.max(level - 1, 0)), channels.get(level),
                    channels.get(Math.min(level + 1, last)), temb, config.layersPerBlock().get(level) + 1,
                    config.transformerLayersPerBlock().get(level), config.attentionHeads().get(level),
                    config.crossAttentionDim().get(level), config.normNumGroups(), config.normEps(),
                    config.useLinearProjection(), i < last, 0, 1f);
            upBlocks.add(config.upBlockTypes().get(i).equals(UnetConfig.UP) ? new UpBlock2D(spec) : new CrossAttnUpBlock2D(spec));
        }
        this.convNormOut = child("conv_norm_out", new GroupNorm(config.normNumGroups(), channels.get(0), config.normEps()));
        this.convOut = child("conv_out", new Conv2d(channels.get(0), config.outChannels(), 3, 1, 1));
        modules().forEach((path, module) -> {
            if (module instanceof Attention attention) {
                attention.bind(path);
                attentionLayers.put(path, attention);
            }
        });
    }

    /**
     * Loads {@code unetDir/config.json} and {@code unetDir/diffusion_pytorch_model.safetensors}
     * strictly (every tensor claimed, every parameter present with its shape). The parameters live
     * in a sub-manager of {@code manager} that {@link #close()} frees.
     */
    public static UNet2DConditionModel load(Path unetDir, NDManager manager) throws IOException {
        UNet2DConditionModel model = new UNet2DConditionModel(UnetConfig.read(unetDir.resolve("config.json")));
        model.owned = Checkpoint.loadOwned(model, unetDir.resolve("diffusion_pytorch_model.safetensors"), manager, key -> false);
        return model;
    }

    public UnetConfig config() {
        return config;
    }

    /** eps = forward(sample, t, text) with one timestep for the whole batch. */
    public NDArray forward(NDArray sample, float timestep, NDArray encoderHiddenStates) {
        NDArray t = sample.getManager().create(new float[] {timestep}); // [1]
        return forward(sample, t, encoderHiddenStates);
    }

    /**
     * Predicts the noise.
     *
     * @param sample z_t [B, C, H, W]
     * @param timestep t as a scalar, [1] or [B] (any numeric type; fractional allowed)
     * @param encoderHiddenStates text embedding [B, S, D]
     * @return eps [B, C_out, H, W]
     */
    public NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates) {
        checkInputs(sample, encoderHiddenStates);
        long batch = sample.getShape().get(0);
        // 0. Sides that are not multiples of 2^(upsamplers) leave odd skip maps: pass explicit sizes up.
        long factor = config.downsampleFactor();
        boolean forwardUpsampleSize = sample.getShape().get(2) % factor != 0 || sample.getShape().get(3) % factor != 0;
        // 1. Time: sinusoidal projection [B, C0] -> MLP [B, E].
        NDArray emb = timeEmbedding.forward(timeProj.forward(broadcastTimesteps(timestep, batch)));
        // 2. Pre-process.
        NDArray x = convIn.forward(sample); // [B, C0, H, W]
        // 3. Down: keep every skip tensor, conv_in's output first.
        List<NDArray> skips = new ArrayList<>();
        skips.add(x);
        for (DownBlock block : downBlocks) {
            DownBlock.Output out = block.forward(x, emb, encoderHiddenStates);
            x = out.hidden();
            skips.addAll(out.skips());
        }
        // 4. Mid.
        x = midBlock.forward(x, emb, encoderHiddenStates);
        // 5. Up: each block takes the last resnetCount skips; the upsampler targets the next skip's size.
        for (int i = 0; i < upBlocks.size(); i++) {
            UpBlock block = upBlocks.get(i);
            List<NDArray> own = skips.subList(skips.size() - block.resnetCount(), skips.size());
            List<NDArray> levelSkips = new ArrayList<>(own);
            own.clear();
            long[] upsampleSize = null;
            if (i < upBlocks.size() - 1 && forwardUpsampleSize) {
                Shape next = skips.get(skips.size() - 1).getShape();
                upsampleSize = new long[] {next.get(2), next.get(3)};
            }
            x = block.forward(x, levelSkips, emb, encoderHiddenStates, upsampleSize);
        }
        // 6. Post-process.
        return convOut.forward(Activations.silu(convNormOut.forward(x))); // [B, C_out, H, W]
    }

    private void checkInputs(NDArray sample, NDArray encoderHiddenStates) {
        Shape s = sample.getShape();
        Shape e = encoderHiddenStates.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
            throw new IllegalArgumentException("UNet sample must be [B, " + config.inChannels() + ", H, W], got " + s);
        }
        long d = config.crossAttentionDim().get(0);
        if (e.dimension() != 3 || e.get(0) != s.get(0) || e.get(2) != d) {
            throw new IllegalArgumentException("UNet encoder_hidden_states must be [" + s.get(0) + ", S, " + d + "], got " + e);
        }
    }

    /** t scalar, [1] or [B] -> [B] fp32. */
    private static NDArray broadcastTimesteps(NDArray timestep, long batch) {
        long n = timestep.getShape().size();
        if (n != 1 && n != batch) {
            throw new IllegalArgumentException("timestep must be a scalar, [1] or [" + batch + "], got " + timestep.getShape());
        }
        NDArray t = timestep.toType(DataType.FLOAT32, false).reshape(n); // [n]
        return n == batch ? t : t.broadcast(new Shape(batch));
    }

    /**
     * Every attention layer's processor in module order (down, up, mid blocks, as diffusers'
     * {@code attn_processors}), keyed {@code <module path>.processor}, e.g.
     * {@code down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor}.
     */
    public Map<String, AttentionProcessor> attentionProcessors() {
        Map<String, AttentionProcessor> out = new LinkedHashMap<>();
        attentionLayers.forEach((path, attention) -> out.put(path + ".processor", attention.processor()));
        return out;
    }

    /** Attention layers by module path (without the ".processor" suffix), in module order. */
    public Map<String, Attention> attentionLayers() {
        return java.util.Collections.unmodifiableMap(attentionLayers);
    }

    /** Uses {@code processor} for every attention layer. */
    public void setAttentionProcessor(AttentionProcessor processor) {
        Objects.requireNonNull(processor, "processor");
        attentionLayers.values().forEach(a -> a.setProcessor(processor));
    }

    /**
     * Sets one processor per layer; {@code processors} must have exactly the keys of
     * {@link #attentionProcessors()} (nothing is changed otherwise).
     */
    public void setAttentionProcessors(Map<String, ? extends AttentionProcessor> processors) {
        int count = attentionLayers.size();
        if (processors.size() != count) {
            throw new IllegalArgumentException("a map of " + processors.size() + " attention processors was passed, but the "
                    + "UNet has " + count + " attention layers; pass exactly one per key of attentionProcessors()");
        }
        TreeSet<String> unknown = new TreeSet<>(processors.keySet());
        TreeSet<String> missing = new TreeSet<>();
        attentionLayers.keySet().forEach(path -> {
            if (!unknown.remove(path + ".processor")) {
                missing.add(path + ".processor");
            }
        });
        if (!unknown.isEmpty() || !missing.isEmpty()) {
            throw new IllegalArgumentException("attention processor keys do not match the UNet's layers: unknown " + unknown
                    + ", missing " + missing + " (keys look like down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor)");
        }
        processors.values().forEach(p -> Objects.requireNonNull(p, "null attention processor"));
        attentionLayers.forEach((path, attention) -> attention.setProcessor(processors.get(path + ".processor")));
    }

    /** Frees the parameters when this model was made by {@link #load}; idempotent. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
            owned = null;
        }
    }
}

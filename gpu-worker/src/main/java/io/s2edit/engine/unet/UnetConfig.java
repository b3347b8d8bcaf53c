package io.s2edit.engine.unet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The subset of diffusers' {@code UNet2DConditionModel} config ({@code unet/config.json}) that SD
 * v1.x checkpoints use. Per-block values are expanded to one entry per level, as diffusers does.
 *
 * <p><b>Head count.</b> In SD v1 configs {@code attention_head_dim} is the number of heads, not
 * their width: diffusers 0.42 sets {@code num_attention_heads = attention_head_dim} (and refuses a
 * non-null {@code num_attention_heads}), then every transformer gets that many heads of width
 * {@code channels / heads}. The up blocks take the head counts reversed. {@link #attentionHeads}
 * holds the head counts after that mapping, per down level.
 *
 * @param sampleSize latent side the checkpoint was trained at (informative only)
 * @param inChannels latent channels in (4)
 * @param outChannels predicted-noise channels out (4)
 * @param blockOutChannels channels per level (320, 640, 1280, 1280)
 * @param downBlockTypes {@code CrossAttnDownBlock2D} or {@code DownBlock2D} per level
 * @param upBlockTypes {@code UpBlock2D} or {@code CrossAttnUpBlock2D} per level, deepest first
 * @param layersPerBlock resnets per down level (the up level has one more)
 * @param attentionHeads heads per down level (see above)
 * @param crossAttentionDim text-embedding width D per down level (768)
 * @param transformerLayersPerBlock BasicTransformerBlocks per Transformer2DModel, per down level
 * @param normNumGroups GroupNorm groups of resnets and transformers (32)
 * @param normEps GroupNorm eps of resnets and the output norm (1e-5)
 * @param flipSinToCos timestep embedding order cos|sin (true) or sin|cos
 * @param freqShift downscale_freq_shift of the sinusoidal timestep embedding (0)
 * @param useLinearProjection Linear (true) or 1x1 Conv2d (false, SD v1) proj_in/proj_out
 * @param upcastAttention computes attention in fp32; a no-op here since the engine runs in fp32
 * @param downsamplePadding padding of the stride-2 downsampling conv (1)
 * @param midBlockScaleFactor output_scale_factor of the mid block's resnets (1)
 */
public record UnetConfig(
        int sampleSize,
        int inChannels,
        int outChannels,
        List<Integer> blockOutChannels,
        List<String> downBlockTypes,
        List<String> upBlockTypes,
        List<Integer> layersPerBlock,
        List<Integer> attentionHeads,
        List<Integer> crossAttentionDim,
        List<Integer> transformerLayersPerBlock,
        int normNumGroups,
        float normEps,
        boolean flipSinToCos,
        float freqShift,
        boolean useLinearProjection,
        boolean upcastAttention,
        int downsamplePadding,
        float midBlockScaleFactor) {

    public static final String CROSS_ATTN_DOWN = "CrossAttnDownBlock2D";
    public static final String DOWN = "DownBlock2D";
    public static final String UP = "UpBlock2D";
    public static final String CROSS_ATTN_UP = "CrossAttnUpBlock2D";
    public static final String MID = "UNetMidBlock2DCrossAttn";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Options this engine does not implement, with the only value it accepts (null = must be
     * absent or null). A config that sets one of them otherwise is refused by name.
     */
    private static final Map<String, Object> FIXED = Map.ofEntries(
            Map.entry("act_fn", "silu"),
            Map.entry("mid_block_type", MID),
            Map.entry("center_input_sample", false),
            Map.entry("time_embedding_type", "positional"),
            Map.entry("resnet_time_scale_shift", "default"),
            Map.entry("attention_type", "default"),
            Map.entry("conv_in_kernel", 3),
            Map.entry("conv_out_kernel", 3),
            Map.entry("dual_cross_attention", false),
            Map.entry("only_cross_attention", false),
            Map.entry("class_embeddings_concat", false),
            Map.entry("resnet_skip_time_act", false),
            Map.entry("resnet_out_scale_factor", 1.0),
            Map.entry("dropout", 0.0));

    private static final Set<String> MUST_BE_NULL = Set.of(
            "num_attention_heads", "addition_embed_type", "addition_time_embed_dim", "class_embed_type",
            "num_class_embeds", "encoder_hid_dim", "encoder_hid_dim_type", "time_embedding_dim",
            "time_embedding_act_fn", "timestep_post_act", "time_cond_proj_dim", "cross_attention_norm",
            "projection_class_embeddings_input_dim", "reverse_transformer_layers_per_block");

    /** Keys read into the record, and keys that only matter when an option above is enabled. */
    private static final Set<String> KNOWN = Set.of(
            "sample_size", "in_channels", "out_channels", "block_out_channels", "down_block_types",
            "up_block_types", "layers_per_block", "attention_head_dim", "cross_attention_dim",
            "transformer_layers_per_block", "norm_num_groups", "norm_eps", "flip_sin_to_cos", "freq_shift",
            "use_linear_projection", "upcast_attention", "downsample_padding", "mid_block_scale_factor",
            "mid_block_only_cross_attention", "addition_embed_type_num_heads");

    public UnetConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        layersPerBlock = List.copyOf(layersPerBlock);
        attentionHeads = List.copyOf(attentionHeads);
        crossAttentionDim = List.copyOf(crossAttentionDim);
        transformerLayersPerBlock = List.copyOf(transformerLayersPerBlock);
        int levels = blockOutChannels.size();
        if (levels == 0) {
            throw new IllegalArgumentException("UNet config: block_out_channels is empty");
        }
        requireLevels("down_block_types", downBlockTypes, levels);
        requireLevels("up_block_types", upBlockTypes, levels);
        requireLevels("layers_per_block", layersPerBlock, levels);
        requireLevels("attention_head_dim", attentionHeads, levels);
        requireLevels("cross_attention_dim", crossAttentionDim, levels);
        requireLevels("transformer_layers_per_block", transformerLayersPerBlock, levels);
        for (String type : downBlockTypes) {
            if (!type.equals(CROSS_ATTN_DOWN) && !type.equals(DOWN)) {
                throw new IllegalArgumentException("UNet config: down block type '" + type + "' is not supported; supported: "
                        + CROSS_ATTN_DOWN + ", " + DOWN);
            }
        }
        for (String type : upBlockTypes) {
            if (!type.equals(CROSS_ATTN_UP) && !type.equals(UP)) {
                throw new IllegalArgumentException("UNet config: up block type '" + type + "' is not supported; supported: "
                        + CROSS_ATTN_UP + ", " + UP);
            }
        }
        for (int i = 0; i < levels; i++) {
            int channels = blockOutChannels.get(i);
            if (channels % normNumGroups != 0) {
                throw new IllegalArgumentException("UNet config: block_out_channels[" + i + "] = " + channels
                        + " does not split into norm_num_groups = " + normNumGroups);
            }
            if (attentionHeads.get(i) <= 0 || layersPerBlock.get(i) <= 0 || transformerLayersPerBlock.get(i) <= 0) {
                throw new IllegalArgumentException("UNet config: attention_head_dim, layers_per_block and "
                        + "transformer_layers_per_block must be positive at level " + i);
            }
        }
        if (downsamplePadding != 0 && downsamplePadding != 1) {
            throw new IllegalArgumentException("UNet config: downsample_padding must be 0 or 1, got " + downsamplePadding);
        }
    }

    /** The SD v1.x UNet (runwayml/stable-diffusion-v1-5 {@code unet/config.json}). */
    public static UnetConfig sdV1() {
        return new UnetConfig(64, 4, 4, List.of(320, 640, 1280, 1280),
                List.of(CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, DOWN),
                List.of(UP, CROSS_ATTN_UP, CROSS_ATTN_UP, CROSS_ATTN_UP),
                List.of(2, 2, 2, 2), List.of(8, 8, 8, 8), List.of(768, 768, 768, 768), List.of(1, 1, 1, 1),
                32, 1e-5f, true, 0f, false, false, 1, 1f);
    }

    /** Reads {@code config.json} of a diffusers {@code unet/} folder. */
    public static UnetConfig read(Path configJson) throws IOException {
        try {
            return parse(Files.readString(configJson));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Parses the JSON text of a diffusers UNet2DConditionModel config. */
    public static UnetConfig parse(String json) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("UNet config is not a JSON object");
        }
        checkUnsupported(root);
        List<Integer> blockOut = intList(root, "block_out_channels", List.of(320, 640, 1280, 1280));
        int levels = blockOut.size();
        return new UnetConfig(
                root.path("sample_size").asInt(64),
                root.path("in_channels").asInt(4),
                root.path("out_channels").asInt(4),
                blockOut,
                stringList(root, "down_block_types", sdV1().downBlockTypes()),
                stringList(root, "up_block_types", sdV1().upBlockTypes()),
                perLevel(root, "layers_per_block", 2, levels),
                perLevel(root, "attention_head_dim", 8, levels),
                perLevel(root, "cross_attention_dim", 1280, levels),
                perLevel(root, "transformer_layers_per_block", 1, levels),
                root.path("norm_num_groups").asInt(32),
                (float) root.path("norm_eps").asDouble(1e-5),
                root.path("flip_sin_to_cos").asBoolean(true),
                (float) root.path("freq_shift").asDouble(0),
                root.path("use_linear_projection").asBoolean(false),
                root.path("upcast_attention").asBoolean(false),
                root.path("downsample_padding").asInt(1),
                (float) root.path("mid_block_scale_factor").asDouble(1));
    }

    private static void checkUnsupported(JsonNode root) {
        List<String> problems = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (key.startsWith("_") || KNOWN.contains(key)) {
                continue;
            }
            if (MUST_BE_NULL.contains(key)) {
                if (!value.isNull()) {
                    problems.add(key + " = " + value + " (only null is supported"
                            + (key.equals("num_attention_heads") ? "; diffusers reads the head count from attention_head_dim" : "")
                            + ")");
                }
            } else if (FIXED.containsKey(key)) {
                Object expected = FIXED.get(key);
                if (!sameValue(value, expected)) {
                    problems.add(key + " = " + value + " (only " + expected + " is supported)");
                }
            } else {
                problems.add("unknown option " + key + " = " + value);
            }
        }
        if (root.path("mid_block_only_cross_attention").asBoolean(false)) {
            problems.add("mid_block_only_cross_attention = true (only null/false is supported)");
        }
        if (root.path("norm_num_groups").isNull()) {
            problems.add("norm_num_groups = null (a GroupNorm before conv_out is required)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("UNet config uses options this engine does not implement:\n  "
                    + String.join("\n  ", problems));
        }
    }

    private static boolean sameValue(JsonNode value, Object expected) {
        if (expected instanceof Boolean b) {
            return value.isBoolean() && value.booleanValue() == b;
        }
        if (expected instanceof Integer i) {
            return value.isNumber() && value.asDouble() == i;
        }
        if (expected instanceof Double d) {
            return value.isNumber() && value.asDouble() == d;
        }
        String s = value.asText();
        return expected.equals(s) || (expected.equals("silu") && s.equals("swish"));
    }

    /** An int or a per-level list of ints, expanded to one value per level. */
    private static List<Integer> perLevel(JsonNode root, String key, int fallback, int levels) {
        JsonNode node = root.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return java.util.Collections.nCopies(levels, fallback);
        }
        if (node.isInt()) {
            return java.util.Collections.nCopies(levels, node.intValue());
        }
        List<Integer> values = intList(root, key, null);
        requireLevels(key, values, levels);
        return values;
    }

    private static List<Integer> intList(JsonNode root, String key, List<Integer> fallback) {
        JsonNode node = root.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("UNet config: " + key + " must be an int list, got " + node);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isInt()) {
                throw new IllegalArgumentException("UNet config: " + key + " must hold ints, got " + node
                        + (key.equals("transformer_layers_per_block") ? " (nested per-layer lists are not supported)" : ""));
            }
            out.add(item.intValue());
        }
        return out;
    }

    private static List<String> stringList(JsonNode root, String key, List<String> fallback) {
        JsonNode node = root.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        List<String> out = new ArrayList<>();
        node.forEach(item -> out.add(item.asText()));
        return out;
    }

    private static void requireLevels(String key, List<?> values, int levels) {
        Objects.requireNonNull(values, key);
        if (values.size() != levels) {
            throw new IllegalArgumentException("UNet config: " + key + " has " + values.size() + " entries " + values
                    + " but block_out_channels has " + levels + " levels");
        }
    }

    /** Number of resolution levels (len(block_out_channels)). */
    public int levels() {
        return blockOutChannels.size();
    }

    /**
     * How much the deepest level is smaller than the latent: 2^(levels - 1). Latent sides that are
     * multiples of it need no explicit upsample sizes; other sides work too (see Upsample2D).
     */
    public int downsampleFactor() {
        return 1 << (levels() - 1);
    }

    /** Width of the timestep embedding fed to every resnet: 4 x block_out_channels[0]. */
    public int timeEmbedDim() {
        return blockOutChannels.get(0) * 4;
    }
}

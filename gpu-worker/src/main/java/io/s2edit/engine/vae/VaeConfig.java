package io.s2edit.engine.vae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The diffusers {@code AutoencoderKL} config ({@code vae/config.json}) as far as SD v1.x uses it.
 * Every size of the model comes from here; {@link #SD_V1} holds the SD v1.x values.
 *
 * @param inChannels image channels (3)
 * @param outChannels decoded image channels (3)
 * @param blockOutChannels channels of each encoder down block (decoder up blocks in reverse)
 * @param downBlockTypes one {@code DownEncoderBlock2D} per entry of blockOutChannels
 * @param upBlockTypes one {@code UpDecoderBlock2D} per entry of blockOutChannels
 * @param layersPerBlock resnets per encoder block; decoder blocks have one more
 * @param latentChannels latent channels (4)
 * @param normNumGroups GroupNorm groups (32); every block width must be divisible by it
 * @param scalingFactor multiplies the posterior to give UNet latents (0.18215 in SD v1.x)
 * @param sampleSize nominal image size the VAE was trained at (informational)
 * @param useQuantConv whether {@code quant_conv} exists
 * @param usePostQuantConv whether {@code post_quant_conv} exists
 * @param midBlockAddAttention whether the mid blocks have their self-attention
 */
public record VaeConfig(
        int inChannels,
        int outChannels,
        List<Integer> blockOutChannels,
        List<String> downBlockTypes,
        List<String> upBlockTypes,
        int layersPerBlock,
        int latentChannels,
        int normNumGroups,
        float scalingFactor,
        int sampleSize,
        boolean useQuantConv,
        boolean usePostQuantConv,
        boolean midBlockAddAttention) {

    /** The VAE of runwayml/stable-diffusion-v1-5 and CompVis/stable-diffusion-v1-4. */
    public static final VaeConfig SD_V1 = new VaeConfig(3, 3, List.of(128, 256, 512, 512),
            List.of("DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"),
            List.of("UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"),
            2, 4, 32, 0.18215f, 512, true, true, true);

    private static final ObjectMapper JSON = new ObjectMapper();

    public VaeConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        if (blockOutChannels.isEmpty()) {
            throw new IllegalArgumentException("block_out_channels must not be empty");
        }
        if (downBlockTypes.size() != blockOutChannels.size() || upBlockTypes.size() != blockOutChannels.size()) {
            throw new IllegalArgumentException("down_block_types " + downBlockTypes + " and up_block_types " + upBlockTypes
                    + " must each have one entry per block_out_channels " + blockOutChannels);
        }
        for (String type : downBlockTypes) {
            if (!type.equals("DownEncoderBlock2D")) {
                throw new IllegalArgumentException("unsupported down block type '" + type + "'; supported: DownEncoderBlock2D");
            }
        }
        for (String type : upBlockTypes) {
            if (!type.equals("UpDecoderBlock2D")) {
                throw new IllegalArgumentException("unsupported up block type '" + type + "'; supported: UpDecoderBlock2D");
            }
        }
        for (int channels : blockOutChannels) {
            if (channels % normNumGroups != 0) {
                throw new IllegalArgumentException("block width " + channels + " is not divisible by norm_num_groups " + normNumGroups);
            }
        }
        if (layersPerBlock < 1 || latentChannels < 1 || inChannels < 1 || outChannels < 1) {
            throw new IllegalArgumentException("layers_per_block, latent_channels, in/out_channels must be positive: " + layersPerBlock
                    + ", " + latentChannels + ", " + inChannels + ", " + outChannels);
        }
        if (!(scalingFactor > 0)) {
            throw new IllegalArgumentException("scaling_factor must be positive, got " + scalingFactor);
        }
    }

    /** Factor between image and latent side lengths: 2^(blocks - 1) (8 for SD v1.x). */
    public int downscaleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    /** Reads {@code config.json}; absent keys take the diffusers defaults, unsupported features fail. */
    public static VaeConfig read(Path configJson) throws IOException {
        JsonNode root = JSON.readTree(Files.readString(configJson));
        String act = root.path("act_fn").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException(configJson + ": act_fn '" + act + "' is not supported; supported: silu");
        }
        if (root.hasNonNull("shift_factor") && root.get("shift_factor").asDouble() != 0.0) {
            throw new IllegalArgumentException(configJson + ": shift_factor " + root.get("shift_factor")
                    + " is not supported (SD v1.x VAEs have none)");
        }
        return new VaeConfig(
                root.path("in_channels").asInt(3),
                root.path("out_channels").asInt(3),
                list(root.path("block_out_channels"), List.of(64), JsonNode::asInt),
                list(root.path("down_block_types"), List.of("DownEncoderBlock2D"), JsonNode::asText),
                list(root.path("up_block_types"), List.of("UpDecoderBlock2D"), JsonNode::asText),
                root.path("layers_per_block").asInt(1),
                root.path("latent_channels").asInt(4),
                root.path("norm_num_groups").asInt(32),
                (float) root.path("scaling_factor").asDouble(0.18215),
                root.path("sample_size").asInt(32),
                root.path("use_quant_conv").asBoolean(true),
                root.path("use_post_quant_conv").asBoolean(true),
                root.path("mid_block_add_attention").asBoolean(true));
    }

    private static <T> List<T> list(JsonNode node, List<T> fallback, Function<JsonNode, T> element) {
        if (!node.isArray()) {
            return fallback;
        }
        List<T> out = new ArrayList<>();
        node.forEach(n -> out.add(element.apply(n)));
        return out;
    }
}

package io.s2edit.engine.unet;

import static io.s2edit.engine.unet.UnetParityTest.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.s2edit.engine.nn.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnetConfigTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode tinyConfig() throws IOException {
        return (ObjectNode) JSON.readTree(Files.readString(resource("reference/tiny/unet/config.json")));
    }

    @Test
    void readsTheTinyCheckpointConfig() throws IOException {
        UnetConfig c = UnetConfig.read(resource("reference/tiny/unet/config.json"));
        assertEquals(List.of(32, 64), c.blockOutChannels());
        assertEquals(List.of("CrossAttnDownBlock2D", "DownBlock2D"), c.downBlockTypes());
        assertEquals(List.of("UpBlock2D", "CrossAttnUpBlock2D"), c.upBlockTypes());
        assertEquals(List.of(8, 8), c.attentionHeads(), "attention_head_dim is the head count");
        assertEquals(List.of(1, 1), c.layersPerBlock());
        assertEquals(List.of(32, 32), c.crossAttentionDim());
        assertEquals(8, c.normNumGroups());
        assertEquals(1e-5f, c.normEps());
        assertTrue(c.flipSinToCos());
        assertEquals(128, c.timeEmbedDim());
        assertEquals(2, c.downsampleFactor());
    }

    @Test
    void sdV1DefaultsBuildThe32AttentionLayersOfStableDiffusion() {
        UNet2DConditionModel unet = new UNet2DConditionModel(UnetConfig.sdV1());
        assertEquals(32, unet.attentionProcessors().size(), "16 transformer blocks x (attn1, attn2)");
        assertEquals(686, unet.parameters().size(), "tensors in SD v1.5 unet/diffusion_pytorch_model.safetensors");
        long count = unet.parameters().values().stream().mapToLong(p -> p.shape().size()).sum();
        assertEquals(859_520_964L, count, "SD v1.5 UNet parameter count");
    }

    @Test
    void perBlockAttentionHeadDimIsReadPerLevel() throws IOException {
        ObjectNode json = tinyConfig();
        json.putArray("attention_head_dim").add(4).add(8);
        UnetConfig c = UnetConfig.parse(json.toString());
        assertEquals(List.of(4, 8), c.attentionHeads());
        UNet2DConditionModel unet = new UNet2DConditionModel(c);
        assertEquals(4, unet.attentionLayers().get("down_blocks.0.attentions.0.transformer_blocks.0.attn1").heads());
        assertEquals(8, unet.attentionLayers().get("mid_block.attentions.0.transformer_blocks.0.attn1").heads());
        // Up block 1 mirrors level 0: heads reversed.
        assertEquals(4, unet.attentionLayers().get("up_blocks.1.attentions.0.transformer_blocks.0.attn1").heads());
    }

    @Test
    void refusesUnsupportedOptionsByName() throws IOException {
        ObjectNode json = tinyConfig();
        json.putArray("down_block_types").add("CrossAttnDownBlock2D").add("SimpleCrossAttnDownBlock2D");
        IllegalArgumentException block = assertThrows(IllegalArgumentException.class, () -> UnetConfig.parse(json.toString()));
        assertTrue(block.getMessage().contains("SimpleCrossAttnDownBlock2D") && block.getMessage().contains("DownBlock2D"),
                block.getMessage());

        ObjectNode options = tinyConfig();
        options.put("num_attention_heads", 8);
        options.put("class_embed_type", "timestep");
        options.put("resnet_time_scale_shift", "scale_shift");
        options.put("some_new_option", true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UnetConfig.parse(options.toString()));
        for (String name : List.of("num_attention_heads", "class_embed_type", "resnet_time_scale_shift", "some_new_option")) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }

        ObjectNode levels = tinyConfig();
        levels.putArray("layers_per_block").add(1).add(1).add(1);
        assertThrows(IllegalArgumentException.class, () -> UnetConfig.parse(levels.toString()));
    }

    @Test
    void checkpointOfAnotherConfigIsRefusedNamingTheTensors() throws IOException {
        ObjectNode json = tinyConfig();
        json.put("layers_per_block", 2);
        UNet2DConditionModel unet = new UNet2DConditionModel(UnetConfig.parse(json.toString()));
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(unet,
                    resource("reference/tiny/unet/diffusion_pytorch_model.safetensors"), manager, key -> false));
            assertTrue(e.getMessage().contains("missing tensor 'down_blocks.0.resnets.1.norm1.weight'"), e.getMessage());
        }
    }
}

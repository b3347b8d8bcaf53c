package io.s2edit.deploy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.deploy.CommandLine;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client's options become the gateway's form fields (api-gateway/README.md). */
class EditCommandTest {

    private static Map<String, GatewayClient.Part> parts(String... argv) {
        return EditCommand.parts(EditCommand.parse(argv)).stream()
                .collect(Collectors.toMap(GatewayClient.Part::name, p -> p));
    }

    private static JsonNode json(GatewayClient.Part p) throws Exception {
        return new ObjectMapper().readTree(p.text());
    }

    @Test
    void everyOptionLandsInTheChainRequest() throws Exception {
        Map<String, GatewayClient.Part> p = parts("--server", "http://h:1", "--image", "in.jpg", "--mask", "m.png",
                "--source", "a photo of a [I] lady", "--object", "lady", "--target", "a photo of a [I] lady with bangs",
                "--target", "a photo of a [I] lady smiling", "--finetune-steps", "20", "--steps", "10", "--guidance", "4.5",
                "--seed", "42", "--no-semantic", "--no-spatial", "--no-finetune", "--out", "o", "--lr", "1e-5", "--lambda", "0.2",
                "--mask-threshold", "0.4", "--mask-steps", "3", "--inner-steps", "2", "--cross-replace", "0.6", "--self-replace",
                "0.3", "--blend", "bangs", "--blend", "lady",
                "--blend-threshold", "0.5");
        assertEquals("image/jpeg", p.get("image").contentType());
        assertEquals("image/png", p.get("mask").contentType());
        assertEquals("a photo of a [I] lady", p.get("source_prompt").text());
        assertEquals("lady", p.get("object_word").text());
        JsonNode options = json(p.get("options"));
        assertEquals(20, options.get("steps").asInt());
        assertEquals(42, options.get("seed").asLong());
        assertFalse(options.get("semantic_loss").asBoolean());
        assertFalse(options.get("spatial_control").asBoolean());
        assertFalse(options.get("identity_fine_tune").asBoolean());
        assertEquals(1e-5, options.get("learning_rate").asDouble());
        assertEquals(0.2, options.get("semantic_loss_weight").asDouble());
        assertEquals(0.4, options.get("mask_threshold").asDouble());
        assertEquals(3, options.get("mask_steps").asInt());
        JsonNode invert = json(p.get("invert"));
        assertEquals(10, invert.get("steps").asInt());
        assertEquals(4.5, invert.get("guidance").asDouble());
        assertEquals(2, invert.get("inner_steps").asInt());
        JsonNode edits = json(p.get("edits"));
        assertEquals(1, edits.size(), "one edit job, one image per target");
        assertEquals(List.of("a photo of a [I] lady with bangs", "a photo of a [I] lady smiling"),
                List.of(edits.get(0).get("target_prompts").get(0).asText(), edits.get(0).get("target_prompts").get(1).asText()));
        assertEquals(42, edits.get(0).get("seed").asLong());
        assertEquals(0.6, edits.get(0).get("cross_replace_steps").asDouble());
        assertEquals(0.3, edits.get(0).get("self_replace_steps").asDouble());
        assertEquals("[\"bangs\",\"lady\"]", edits.get(0).get("local_blend").get("words").toString());
        assertEquals(0.5, edits.get(0).get("local_blend").get("threshold").asDouble());
    }

    @Test
    void defaultsAreLeftToTheServer() throws Exception {
        Map<String, GatewayClient.Part> p = parts("--image", "in.png", "--source", "a [I] dog", "--object", "dog",
                "--target", "a [I] dog in the snow", "--out", "o");
        assertEquals("{}", p.get("options").text());
        assertEquals("{}", p.get("invert").text());
        assertNull(p.get("mask"));
        assertNull(p.get("webhook"));
        assertTrue(json(p.get("edits")).get(0).has("target_prompts"));
        assertEquals("http://localhost:8080", EditCommand.parse(new String[] {"--image", "i", "--source", "s", "--object", "o",
                "--target", "t", "--out", "o"}).server().toString());
    }

    @Test
    void mistakesNameTheOption() {
        CommandLine.UsageError noTarget = assertThrows(CommandLine.UsageError.class, () -> EditCommand.parse(
                new String[] {"--image", "i", "--source", "s", "--object", "o", "--out", "o"}));
        assertTrue(noTarget.getMessage().contains("--target"), noTarget.getMessage());
        CommandLine.UsageError steps = assertThrows(CommandLine.UsageError.class, () -> EditCommand.parse(
                new String[] {"--image", "i", "--source", "s", "--object", "o", "--target", "t", "--out", "o", "--steps", "x"}));
        assertTrue(steps.getMessage().contains("--steps"), steps.getMessage());
        CommandLine.UsageError maskSteps = assertThrows(CommandLine.UsageError.class, () -> EditCommand.parse(
                new String[] {"--image", "i", "--source", "s", "--object", "o", "--target", "t", "--out", "o", "--mask-steps", "0"}));
        assertTrue(maskSteps.getMessage().contains("--mask-steps must be between 1 and 1000"), maskSteps.getMessage());
        CommandLine.UsageError innerSteps = assertThrows(CommandLine.UsageError.class, () -> EditCommand.parse(
                new String[] {"--image", "i", "--source", "s", "--object", "o", "--target", "t", "--out", "o", "--inner-steps", "101"}));
        assertTrue(innerSteps.getMessage().contains("--inner-steps must be between 0 and 100"), innerSteps.getMessage());
        CommandLine.UsageError unknown = assertThrows(CommandLine.UsageError.class, () -> EditCommand.parse(new String[] {"--colour", "red"}));
        assertTrue(unknown.getMessage().contains("--colour") && unknown.getMessage().contains("--target"), unknown.getMessage());
    }
}

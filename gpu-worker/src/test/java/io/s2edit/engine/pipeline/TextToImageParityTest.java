package io.s2edit.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.engine.Progress;
import io.s2edit.engine.testing.Reference;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The full text-to-image run against diffusers' StableDiffusionPipeline (DDIM, 10 steps, guidance
 * 7.5, negative prompt) from the reference's initial noise. Tolerances: prompt embeddings 1e-4,
 * final latents 1e-3 (values reach ~40 on these random weights, so this is ~2.5e-5 relative),
 * the decoded image 1/255.
 */
class TextToImageParityTest {

    static final List<String> CHECKPOINTS = Reference.CHECKPOINTS;

    @ParameterizedTest
    @FieldSource("CHECKPOINTS")
    void fullRunMatchesDiffusers(String checkpoint) throws Exception {
        try (Reference ref = Reference.open(checkpoint); NDManager m = NDManager.newBaseManager();
                StableDiffusion model = StableDiffusion.load(ref.checkpoint(), m)) {
            JsonNode facts = ref.facts().path("t2i");
            TextToImage.Request request = new TextToImage.Request(facts.path("prompt").asText(),
                    facts.path("negative_prompt").asText(), facts.path("steps").asInt(),
                    facts.path("guidance_scale").asDouble(), facts.path("height").asInt(), facts.path("width").asInt());

            Reference.assertClose(ref.tensor("t2i.prompt_embeds", m), model.encodePrompt(request.prompt()), 1e-4, "prompt embeddings");
            Reference.assertClose(ref.tensor("t2i.negative_embeds", m), model.encodePrompt(request.negativePrompt()), 1e-4,
                    "negative prompt embeddings");

            NDArray noise = ref.tensor("t2i.noise", m);
            TextToImage pipeline = new TextToImage(model);
            assertEquals(noise.getShape(), new ai.djl.ndarray.types.Shape(pipeline.noiseShape(request)), "noise shape");
            int[] seen = {0};
            TextToImage.Result result = pipeline.generate(request, noise, m, (stage, step, total) -> seen[0] = step);
            assertEquals(request.steps(), seen[0], "progress reached the last step");
            Reference.assertClose(ref.tensor("t2i.latents", m), result.latents(), 1e-3, "final latents");
            Reference.assertClose(ref.tensor("t2i.image", m), result.image(), 1.0 / 255, "decoded image");
        }
    }
}

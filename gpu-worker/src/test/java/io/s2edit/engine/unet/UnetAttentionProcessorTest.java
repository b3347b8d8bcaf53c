package io.s2edit.engine.unet;

import static io.s2edit.engine.unet.UnetParityTest.facts;
import static io.s2edit.engine.unet.UnetParityTest.maxAbsDiff;
import static io.s2edit.engine.unet.UnetParityTest.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.engine.io.SafeTensors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Processors are listed like diffusers' attn_processors, replaceable, and really called. */
class UnetAttentionProcessorTest {

    /** Records the context of every call; computes attention as the default does. */
    static final class RecordingProcessor extends AttnProcessor {
        final List<AttentionContext> calls = new ArrayList<>();
        final List<Shape> probabilityShapes = new ArrayList<>();

        @Override
        protected NDArray editProbabilities(NDArray probabilities, AttentionContext context) {
            calls.add(context);
            probabilityShapes.add(probabilities.getShape());
            return probabilities;
        }
    }

    /** Prompt-to-Prompt-style edit: cross-attention maps replaced by zeros. */
    static final class ZeroCrossAttention extends AttnProcessor {
        @Override
        protected NDArray editProbabilities(NDArray probabilities, AttentionContext context) {
            return context.crossAttention() ? probabilities.zerosLike() : probabilities;
        }
    }

    static NDManager manager;
    static UNet2DConditionModel unet;
    static SafeTensors ref;
    static NDArray sample;
    static NDArray ehs;

    @BeforeAll
    static void load() throws IOException {
        Engine.getInstance().setRandomSeed(0);
        manager = NDManager.newBaseManager();
        unet = UNet2DConditionModel.load(resource("reference/tiny-wide/unet"), manager);
        ref = SafeTensors.open(resource("reference/outputs/tiny-wide.safetensors"));
        sample = ref.load("unet.sample", manager);
        ehs = ref.load("unet.encoder_hidden_states", manager);
    }

    @AfterAll
    static void close() throws IOException {
        ref.close();
        unet.close();
        manager.close();
    }

    @BeforeEach
    void defaults() {
        unet.setAttentionProcessor(AttnProcessor.DEFAULT);
    }

    @Test
    void processorKeysFollowDiffusersModuleOrder() throws IOException {
        JsonNode layout = facts("tiny-wide").path("unet_attention_heads");
        List<String> expected = new ArrayList<>();
        layout.fieldNames().forEachRemaining(path -> expected.add(path + ".processor"));
        assertEquals(expected, new ArrayList<>(unet.attentionProcessors().keySet()));
        assertEquals("down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor", expected.get(0));
        unet.attentionLayers().forEach((path, attention) -> {
            assertEquals(layout.path(path).path("heads").asInt(), attention.heads(), path);
            assertEquals(path.endsWith("attn2"), attention.isCrossAttention(), path);
        });
    }

    @Test
    void processorSeesPathCrossFlagHeadsAndResolution() {
        RecordingProcessor recorder = new RecordingProcessor();
        unet.setAttentionProcessor(recorder);
        try (NDScope scope = new NDScope()) {
            unet.forward(sample, 261f, ehs);
        }
        Map<String, AttentionContext> byPath = new LinkedHashMap<>();
        recorder.calls.forEach(c -> byPath.put(c.path(), c));
        assertEquals(unet.attentionLayers().keySet(), byPath.keySet(), "every layer called exactly once");
        assertEquals(unet.attentionLayers().size(), recorder.calls.size());
        // tiny-wide latent 12x20: level 0 at 12x20, level 1 at 6x10, mid at 3x5.
        AttentionContext first = byPath.get("down_blocks.0.attentions.0.transformer_blocks.0.attn1");
        assertEquals(new AttentionContext("down_blocks.0.attentions.0.transformer_blocks.0.attn1", false, 4, 12, 20), first);
        AttentionContext mid = byPath.get("mid_block.attentions.0.transformer_blocks.0.attn2");
        assertEquals(new AttentionContext("mid_block.attentions.0.transformer_blocks.0.attn2", true, 4, 3, 5), mid);
        assertEquals("mid", mid.place());
        AttentionContext up = byPath.get("up_blocks.1.attentions.2.transformer_blocks.0.attn2");
        assertEquals(6, up.height());
        assertEquals(10, up.width());
        for (int i = 0; i < recorder.calls.size(); i++) {
            AttentionContext c = recorder.calls.get(i);
            long keys = c.crossAttention() ? 77 : c.queryLength();
            assertEquals(new Shape(2L * c.heads(), c.queryLength(), keys), recorder.probabilityShapes.get(i), c.path());
        }
    }

    @Test
    void passThroughProcessorLeavesOutputUnchangedAndZeroedCrossAttentionChangesIt() {
        try (NDScope scope = new NDScope()) {
            NDArray baseline = unet.forward(sample, 261f, ehs);
            RecordingProcessor passThrough = new RecordingProcessor();
            unet.setAttentionProcessor(passThrough);
            NDArray same = unet.forward(sample, 261f, ehs);
            assertEquals(0f, maxAbsDiff(same, baseline), "a pass-through processor changes nothing");
            assertEquals(unet.attentionLayers().size(), passThrough.calls.size());

            unet.setAttentionProcessor(new ZeroCrossAttention());
            NDArray zeroed = unet.forward(sample, 261f, ehs);
            assertTrue(maxAbsDiff(zeroed, baseline) > 1e-2f, "zeroing cross-attention must change eps");
            // Without cross-attention the text no longer matters.
            NDArray otherText = unet.forward(sample, 261f, ehs.mul(-1f));
            assertEquals(0f, maxAbsDiff(otherText, zeroed), "with attn2 zeroed, eps ignores the text");
        }
    }

    @Test
    void perLayerProcessorsAreSetByKey() {
        Map<String, AttentionProcessor> processors = new LinkedHashMap<>(unet.attentionProcessors());
        String key = "mid_block.attentions.0.transformer_blocks.0.attn2.processor";
        ZeroCrossAttention zero = new ZeroCrossAttention();
        processors.put(key, zero);
        unet.setAttentionProcessors(processors);
        assertSame(zero, unet.attentionProcessors().get(key));
        assertSame(AttnProcessor.DEFAULT, unet.attentionProcessors().get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor"));
        try (NDScope scope = new NDScope()) {
            NDArray edited = unet.forward(sample, 261f, ehs);
            unet.setAttentionProcessor(AttnProcessor.DEFAULT);
            assertTrue(maxAbsDiff(edited, unet.forward(sample, 261f, ehs)) > 1e-3f, "the mid-block processor ran");
        }
    }

    @Test
    void wrongCountOrUnknownKeyIsRefusedAndChangesNothing() {
        Map<String, AttentionProcessor> processors = new LinkedHashMap<>(unet.attentionProcessors());
        int count = processors.size();
        String removed = processors.keySet().iterator().next();
        processors.remove(removed);
        processors.replaceAll((k, v) -> new ZeroCrossAttention());
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class, () -> unet.setAttentionProcessors(processors));
        assertTrue(tooFew.getMessage().contains((count - 1) + " attention processors"), tooFew.getMessage());
        assertTrue(tooFew.getMessage().contains(count + " attention layers"), tooFew.getMessage());

        processors.put("down_blocks.0.attentions.0.transformer_blocks.0.attn3.processor", new ZeroCrossAttention());
        IllegalArgumentException badKey = assertThrows(IllegalArgumentException.class, () -> unet.setAttentionProcessors(processors));
        assertTrue(badKey.getMessage().contains("attn3.processor") && badKey.getMessage().contains(removed), badKey.getMessage());
        unet.attentionProcessors().values().forEach(p -> assertSame(AttnProcessor.DEFAULT, p, "nothing was set"));
    }
}

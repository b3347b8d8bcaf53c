package io.s2edit.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.engine.io.SafeTensors;
import io.s2edit.engine.io.SafeTensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CLIPTextModel against transformers 5.24 on the committed tiny checkpoints (tiny: fp32 weights;
 * tiny-wide: fp16 weights read as fp32). The reference prompts use the added tokens [I] (49408)
 * and [A] (49409), whose rows {@code text.added_embeddings} are appended first. Input ids come
 * from the reference, so the tokenizer is not involved. Tolerance: 1e-4 max abs error, fp32.
 */
class ClipTextParityTest {

    private static final Path REFERENCE = Path.of("src/test/resources/reference");
    private static final float TOLERANCE = 1e-4f;
    /** The SD v1.x tokenizer's end-of-text id (the tiny configs say the same; SD v1.4's says 2). */
    private static final long EOS = 49407;
    private static final int PROMPTS = 4;

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-wide"})
    void matchesTransformersWithAddedTokens(String name) throws IOException {
        JsonNode added = new ObjectMapper().readTree(REFERENCE.resolve("outputs/" + name + ".json").toFile())
                .path("text").path("added_tokens");
        try (NDManager manager = NDManager.newBaseManager();
                ClipTextModel model = ClipTextModel.load(REFERENCE.resolve(name).resolve("text_encoder"), manager);
                SafeTensors ref = SafeTensors.open(REFERENCE.resolve("outputs/" + name + ".safetensors"));
                NDScope scope = new NDScope()) {
            long[] ids = model.addTokenEmbeddings(ref.load("text.added_embeddings", manager));
            assertArrayEquals(new long[] {added.path("[I]").asLong(), added.path("[A]").asLong()}, ids);
            assertEquals(model.config().vocabSize() + 2, model.vocabularySize());

            NDList inputs = new NDList();
            int[] eos = new int[PROMPTS];
            for (int k = 0; k < PROMPTS; k++) {
                NDArray row = ref.load("text." + k + ".input_ids", manager); // [1, 77]
                inputs.add(row);
                eos[k] = firstIndexOf(row.toLongArray(), EOS);
            }
            ClipTextOutput out = model.forward(NDArrays.concat(inputs), eos, true); // batch of 4
            assertEquals(model.config().numHiddenLayers() + 1, out.hiddenStates().size());
            for (int k = 0; k < PROMPTS; k++) {
                assertClose(ref.load("text." + k + ".last_hidden_state", manager), out.lastHiddenState().get(k).expandDims(0),
                        name + " prompt " + k + " last hidden state");
                assertClose(ref.load("text." + k + ".pooled", manager), out.pooled().get(k).expandDims(0),
                        name + " prompt " + k + " pooled");
            }
        }
    }

    /** argmax(ids) would pool at [I] (49408) in "a photo of a [I] lady": the EOS position differs. */
    @Test
    void poolsAtTheEosPositionNotAtTheLargestId() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                SafeTensors ref = SafeTensors.open(REFERENCE.resolve("outputs/tiny.safetensors"))) {
            long[] ids = ref.load("text.0.input_ids", manager).toLongArray();
            int argmax = 0;
            for (int i = 1; i < ids.length; i++) {
                argmax = ids[i] > ids[argmax] ? i : argmax;
            }
            assertEquals(49408, ids[argmax]);
            assertNotEquals(argmax, firstIndexOf(ids, EOS));
        }
    }

    /** Learning [I]: a loss on the pooled vector reaches [I]'s new row, and no row absent from the prompt. */
    @Test
    void gradientsFlowFromPooledToTheAddedTokenRows() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                ClipTextModel model = ClipTextModel.load(REFERENCE.resolve("tiny/text_encoder"), manager);
                SafeTensors ref = SafeTensors.open(REFERENCE.resolve("outputs/tiny.safetensors"));
                NDScope scope = new NDScope()) {
            model.tokenEmbeddingTable().get().setRequiresGradient(true);
            long[] added = model.addTokenEmbeddings(ref.load("text.added_embeddings", manager)); // [I], [A]
            NDArray ids = ref.load("text.0.input_ids", manager); // "a photo of a [I] lady": has [I], not [A]
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray pooled = model.forward(ids, new int[] {firstIndexOf(ids.toLongArray(), EOS)}).pooled();
                collector.backward(pooled.square().sum());
            }
            try (NDArray grad = model.tokenEmbeddingTable().get().getGradient()) {
                float rowI = grad.get(new NDIndex("{}", added[0])).abs().sum().getFloat();
                float rowA = grad.get(new NDIndex("{}", added[1])).abs().sum().getFloat();
                assertTrue(rowI > 0 && Float.isFinite(rowI), "[I] row gradient L1 norm " + rowI);
                assertEquals(0f, rowA, "[A] is not in the prompt");
            }
        }
    }

    /** The Hub's SD v1.x files key everything under text_model. and carry a position_ids buffer. */
    @Test
    void loadsTextModelPrefixedCheckpointsIgnoringPositionIds(@TempDir Path dir) throws IOException {
        Path source = REFERENCE.resolve("tiny/text_encoder");
        try (NDManager manager = NDManager.newBaseManager();
                SafeTensors plain = SafeTensors.open(source.resolve(ClipTextModel.WEIGHTS))) {
            SafeTensorsWriter writer = new SafeTensorsWriter();
            for (String key : plain.names()) {
                writer.put("text_model." + key, plain.load(key, manager));
            }
            writer.put("text_model.embeddings.position_ids", manager.arange(0, 77, 1, ai.djl.ndarray.types.DataType.INT64).reshape(1, 77));
            writer.write(dir.resolve(ClipTextModel.WEIGHTS));
            Files.copy(source.resolve("config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        try (NDManager manager = NDManager.newBaseManager();
                ClipTextModel prefixed = ClipTextModel.load(dir, manager);
                ClipTextModel plain = ClipTextModel.load(source, manager);
                SafeTensors ref = SafeTensors.open(REFERENCE.resolve("outputs/tiny.safetensors"));
                NDScope scope = new NDScope()) {
            assertTrue(prefixed.parameters().containsKey("text_model.final_layer_norm.weight"));
            NDArray ids = ref.load("text.2.input_ids", manager);
            int[] eos = {firstIndexOf(ids.toLongArray(), EOS)};
            NDArray a = prefixed.forward(ids, eos).lastHiddenState();
            NDArray b = plain.forward(ids, eos).lastHiddenState();
            assertEquals(0f, a.sub(b).abs().max().getFloat());
        }
    }

    @Test
    void rejectsEosIndicesOutsideTheSequence() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                ClipTextModel model = ClipTextModel.load(REFERENCE.resolve("tiny/text_encoder"), manager)) {
            NDArray ids = manager.zeros(new ai.djl.ndarray.types.Shape(1, 77), ai.djl.ndarray.types.DataType.INT64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(ids, new int[] {77}));
            assertTrue(e.getMessage().contains("77"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.forward(ids, new int[] {3, 4}));
        }
    }

    private static int firstIndexOf(long[] ids, long id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        throw new IllegalArgumentException("no token " + id + " in the sequence");
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what + " shape");
        float error = expected.sub(actual).abs().max().getFloat();
        System.out.printf("%s: max abs error %.3g%n", what, error);
        assertTrue(error <= TOLERANCE, what + ": max abs error " + error + " > " + TOLERANCE);
    }
}

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
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.io.SafeTensors;
import io.s2edit.engine.io.SafeTensorsWriter;
import io.s2edit.engine.testing.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * CLIPTextModel against transformers 5.24 on the committed tiny checkpoints (tiny: fp32 weights;
 * tiny-wide: fp16 weights read as fp32). The reference prompts use the added tokens [I] (49408)
 * and [A] (49409), whose rows {@code text.added_embeddings} are appended first. Input ids come
 * from the reference, so the tokenizer is not involved. Tolerance: 1e-4 max abs error, fp32 (seen:
 * at most ~1.3e-6).
 */
class ClipTextParityTest {

    private static final double TOLERANCE = 1e-4;

    static final List<String> CHECKPOINTS = Reference.CHECKPOINTS;
    /** The SD v1.x tokenizer's end-of-text id (the tiny configs say the same; SD v1.4's says 2). */
    private static final long EOS = 49407;
    private static final int PROMPTS = 4;

    @ParameterizedTest
    @FieldSource("CHECKPOINTS")
    void matchesTransformersWithAddedTokens(String checkpoint) throws IOException {
        try (Reference ref = Reference.open(checkpoint);
                NDManager manager = NDManager.newBaseManager();
                ClipTextModel model = ClipTextModel.load(ref.checkpoint().resolve("text_encoder"), manager);
                NDScope scope = new NDScope()) {
            JsonNode added = ref.facts().path("text").path("added_tokens");
            long[] ids = model.addTokenEmbeddings(ref.tensor("text.added_embeddings", manager));
            assertArrayEquals(new long[] {added.path("[I]").asLong(), added.path("[A]").asLong()}, ids);
            assertEquals(model.config().vocabSize() + 2, model.vocabularySize());

            NDList inputs = new NDList();
            int[] eos = new int[PROMPTS];
            for (int k = 0; k < PROMPTS; k++) {
                NDArray row = ref.tensor("text." + k + ".input_ids", manager); // [1, 77]
                inputs.add(row);
                eos[k] = firstIndexOf(row.toLongArray(), EOS);
            }
            ClipTextOutput out = model.forward(NDArrays.concat(inputs), eos, true); // batch of 4
            assertEquals(model.config().numHiddenLayers() + 1, out.hiddenStates().size());
            for (int k = 0; k < PROMPTS; k++) {
                check(ref, "text." + k + ".last_hidden_state", out.lastHiddenState().get(k).expandDims(0), manager);
                check(ref, "text." + k + ".pooled", out.pooled().get(k).expandDims(0), manager);
            }
        }
    }

    /** The tokenizer's TokenIds feed the encoder directly: same ids as the reference, same outputs. */
    @Test
    void encodesTokenizedPromptsAtTheirEosIndex() throws IOException {
        try (Reference ref = Reference.open("tiny");
                NDManager manager = NDManager.newBaseManager();
                ClipTextModel model = ClipTextModel.load(ref.checkpoint().resolve("text_encoder"), manager);
                NDScope scope = new NDScope()) {
            ClipTokenizer tokenizer = ClipTokenizer.load(ref.checkpoint().resolve("tokenizer"));
            assertArrayEquals(model.addTokenEmbeddings(ref.tensor("text.added_embeddings", manager)),
                    java.util.Arrays.stream(tokenizer.addTokens("[I]", "[A]")).asLongStream().toArray());
            List<TokenIds> prompts = List.of(tokenizer.encode("a photo of a [I] lady"), tokenizer.encode("[A] and [I] dancing in the rain"));
            ClipTextOutput out = model.forward(prompts, manager);
            check(ref, "text.0.pooled", out.pooled().get("0:1"), manager);
            check(ref, "text.3.pooled", out.pooled().get("1:2"), manager);
            check(ref, "text.3.last_hidden_state", out.lastHiddenState().get("1:2"), manager);
        }
    }

    /** argmax(ids) would pool at [I] (49408) in "a photo of a [I] lady": the EOS position differs. */
    @Test
    void poolsAtTheEosPositionNotAtTheLargestId() throws IOException {
        try (Reference ref = Reference.open("tiny"); NDManager manager = NDManager.newBaseManager()) {
            long[] ids = ref.tensor("text.0.input_ids", manager).toLongArray();
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
        try (Reference ref = Reference.open("tiny");
                NDManager manager = NDManager.newBaseManager();
                ClipTextModel model = ClipTextModel.load(ref.checkpoint().resolve("text_encoder"), manager);
                NDScope scope = new NDScope()) {
            model.tokenEmbeddingTable().get().setRequiresGradient(true);
            long[] added = model.addTokenEmbeddings(ref.tensor("text.added_embeddings", manager)); // [I], [A]
            NDArray ids = ref.tensor("text.0.input_ids", manager); // "a photo of a [I] lady": has [I], not [A]
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

    /**
     * Older Hub files carry a {@code text_model.embeddings.position_ids} buffer; it is ignored. (The
     * two layouts themselves are covered above: tiny is prefixed, tiny-wide is not.)
     */
    @Test
    void ignoresThePositionIdsBuffer(@TempDir Path dir) throws IOException {
        Path source = Reference.root().resolve("tiny-wide/text_encoder");
        try (NDManager manager = NDManager.newBaseManager();
                SafeTensors plain = SafeTensors.open(source.resolve(ClipTextModel.WEIGHTS))) {
            SafeTensorsWriter writer = new SafeTensorsWriter();
            for (String key : plain.names()) {
                writer.put(key.startsWith("text_model.") ? key : "text_model." + key, plain.load(key, manager));
            }
            writer.put("text_model.embeddings.position_ids", manager.arange(0, 77, 1, DataType.INT64).reshape(1, 77));
            writer.write(dir.resolve(ClipTextModel.WEIGHTS));
            Files.copy(source.resolve("config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        try (Reference ref = Reference.open("tiny-wide");
                NDManager manager = NDManager.newBaseManager();
                ClipTextModel prefixed = ClipTextModel.load(dir, manager);
                ClipTextModel plain = ClipTextModel.load(source, manager);
                NDScope scope = new NDScope()) {
            assertTrue(prefixed.parameters().containsKey("text_model.final_layer_norm.weight"));
            NDArray ids = ref.tensor("text.2.input_ids", manager);
            int[] eos = {firstIndexOf(ids.toLongArray(), EOS)};
            NDArray a = prefixed.forward(ids, eos).lastHiddenState();
            NDArray b = plain.forward(ids, eos).lastHiddenState();
            assertEquals(0f, a.sub(b).abs().max().getFloat());
        }
    }

    @Test
    void rejectsEosIndicesOutsideTheSequence() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                ClipTextModel model = ClipTextModel.load(Reference.root().resolve("tiny/text_encoder"), manager)) {
            NDArray ids = manager.zeros(new Shape(1, 77), DataType.INT64);
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

    private static void check(Reference ref, String tensor, NDArray actual, NDManager m) {
        double error = Reference.assertClose(ref.tensor(tensor, m), actual, TOLERANCE, ref.name() + " " + tensor);
        System.out.printf("%s %s: max abs error %.3g%n", ref.name(), tensor, error);
    }
}

package io.s2edit.s2edit.edit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.engine.testing.Reference;
import io.s2edit.s2edit.p2p.RefineMapper;
import io.s2edit.s2edit.p2p.RefineMapping;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller on made-up probabilities: what it leaves alone, what it copies, when. Batch of
 * three prompts (source, a replace target, a refine target), two heads, a 2 x 2 query map.
 */
class PromptToPromptEditTest {

    private static final ClipTokenizer TOKENIZER = ClipTokenizer.load(Reference.root().resolve("tiny/tokenizer"));
    private static final String SOURCE = "a cat on a sofa";
    private static final String SWAP = "a dog on a sofa";
    private static final String INSERT = "a cat on a big sofa";
    private static final int HEADS = 2;
    private static final AttentionContext CROSS = new AttentionContext(
            "down_blocks.0.attentions.0.transformer_blocks.0.attn2", true, HEADS, 2, 2);
    private static final AttentionContext SELF = new AttentionContext(
            "down_blocks.0.attentions.0.transformer_blocks.0.attn1", false, HEADS, 2, 2);
    private static final AttentionContext SELF_LARGE = new AttentionContext(
            "up_blocks.1.attentions.0.transformer_blocks.0.attn1", false, HEADS, 5, 5);

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** 10 steps; cross-attention edited at steps 0..4 ((int) (0.5 * 11) = 5), self at 0..2 ((int) (0.3 * 10)). */
    private static EditOptions options() {
        return EditOptions.defaults().withSteps(10).withCross(0.5).withSelf(0.3);
    }

    private PromptToPromptEdit edit(EditOptions options) {
        return PromptToPromptEdit.create(TOKENIZER, SOURCE, List.of(SWAP, INSERT), options, manager);
    }

    /** [2P * h, T, S] random maps; P = 3. */
    private NDArray maps(long queries, long keys) {
        manager.getEngine().setRandomSeed(7);
        return manager.randomUniform(0, 1, new Shape(6L * HEADS, queries, keys));
    }

    /** Row block of prompt batch row b: [h, T, S]. */
    private static NDArray row(NDArray probabilities, int b) {
        return probabilities.get(new NDIndex("{}:{}", b * HEADS, (b + 1) * HEADS));
    }

    @Test
    void automaticModeReplacesSwapsAndRefinesInsertions() {
        try (PromptToPromptEdit edit = edit(options())) {
            assertEquals(List.of(EditOptions.Mode.REPLACE, EditOptions.Mode.REFINE), edit.modes());
            assertEquals(3, edit.batch().prompts());
        }
    }

    @Test
    void crossAttentionOfTargetsTakesTheSourceMapsInsideTheWindowOnly() {
        try (PromptToPromptEdit edit = edit(options())) {
            NDArray in = maps(4, 77);
            edit.beginStep(4);
            NDArray out = edit.edit(in, CROSS);
            for (int b = 0; b <= 3; b++) { // unconditional rows and the source: untouched
                assertSameValues(row(in, b), row(out, b), "row " + b);
            }
            // Swap "cat" -> "dog": one token each, so the mapper is the identity: the source maps.
            assertSameValues(row(in, 3), row(out, 4), "replace target");
            // Insert "big": new token keeps its own map, the others take the aligned source column.
            RefineMapping mapping = RefineMapper.mapping(TOKENIZER, SOURCE, INSERT);
            int[] mapper = mapping.mapper();
            int big = 5;
            assertEquals(RefineMapping.NEW_TOKEN, mapper[big]);
            for (int n = 0; n < 77; n++) {
                NDArray expected = n == big ? row(in, 5).get(":, :, {}", n) : row(in, 3).get(":, :, {}", mapper[n]);
                assertSameValues(expected, row(out, 5).get(":, :, {}", n), "refine target token " + n);
            }
            edit.beginStep(5);
            assertSameValues(in, edit.edit(in, CROSS), "after the window the targets keep their own maps");
        }
    }

    @Test
    void selfAttentionIsCopiedForEarlyStepsAndSmallMapsOnly() {
        try (PromptToPromptEdit edit = edit(options())) {
            NDArray small = maps(4, 4);
            edit.beginStep(2);
            NDArray out = edit.edit(small, SELF);
            assertSameValues(row(small, 3), row(out, 4), "replace target");
            assertSameValues(row(small, 3), row(out, 5), "refine target");
            assertSameValues(small.get("0:{}", 4 * HEADS), out.get("0:{}", 4 * HEADS), "uncond and source");
            edit.beginStep(3);
            assertSame(small, edit.edit(small, SELF), "step 3 is past (int) (0.3 * 10)");
        }
    }

    @Test
    void selfAttentionOfLargerMapsThanTheLimitIsKept() {
        try (PromptToPromptEdit edit = edit(options().withSelfMaxQueryLength(16))) {
            edit.beginStep(0);
            NDArray small = maps(4, 4);
            NDArray large = maps(25, 25); // 5 x 5 = 25 > 16
            assertSame(large, edit.edit(large, SELF_LARGE));
            assertSameValues(row(small, 3), row(edit.edit(small, SELF), 5), "2 x 2 <= 16: copied");
        }
    }

    @Test
    void reweightScalesTheEditedMapsOfTheWord() {
        try (PromptToPromptEdit edit = edit(options().withReweight(Reweight.of("sofa", 2.0)))) {
            NDArray in = maps(4, 77);
            edit.beginStep(0);
            NDArray out = edit.edit(in, CROSS);
            int sofa = 5; // a cat on a sofa: BOS a cat on a sofa
            assertSameValues(row(in, 3).get(":, :, {}", sofa).mul(2), row(out, 4).get(":, :, {}", sofa), "sofa x 2");
            assertSameValues(row(in, 3).get(":, :, 2"), row(out, 4).get(":, :, 2"), "other tokens unscaled");
        }
    }

    @Test
    void failsLoudly() {
        try (PromptToPromptEdit edit = edit(options())) {
            NDArray in = maps(4, 77);
            IllegalStateException early = assertThrows(IllegalStateException.class, () -> edit.edit(in, CROSS));
            assertTrue(early.getMessage().contains("beginStep"), early.getMessage());
            edit.beginStep(0);
            NDArray wrongBatch = in.get("0:{}", 4 * HEADS);
            IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                    () -> edit.edit(wrongBatch, CROSS));
            assertTrue(batch.getMessage().contains("[6 * 2, T, S]"), batch.getMessage());
            assertThrows(IllegalArgumentException.class, () -> edit.beginStep(10));
        }
        IllegalArgumentException replace = assertThrows(IllegalArgumentException.class,
                () -> edit(options().withMode(EditOptions.Mode.REPLACE)));
        assertTrue(replace.getMessage().contains("same number of words"), replace.getMessage());
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class,
                () -> edit(options().withReweight(Reweight.of("lamp", 2.0))));
        assertTrue(word.getMessage().contains("lamp"), word.getMessage());
    }

    @Test
    void selfStepsRoundAgainstNAndCrossStepsAgainstNPlusOne() {
        EditOptions options = EditOptions.defaults().withSteps(50);
        assertEquals(0, options.selfStartStep());
        assertEquals(20, options.selfEndStep()); // int(50 * 0.4)
        assertEquals(40, options.cross().endStep(50)); // int(0.8 * 51)
    }

    /** Exact equality of shape and every value. */
    private static void assertSameValues(NDArray expected, NDArray actual, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what + ": shape");
        assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), 0f, what);
    }
}

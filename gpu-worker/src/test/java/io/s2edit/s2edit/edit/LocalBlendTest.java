package io.s2edit.s2edit.edit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.engine.testing.Reference;
import io.s2edit.engine.unet.AttentionContext;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The blend region from hand-made maps: "a cat" to "a dog" (the words at position 2), one head,
 * 4 x 4 maps at a down layer and 8 x 8 maps at an up layer, an 8 x 8 latent. The source's "cat"
 * attends to one cell, the target's "dog" to another; everything else attends to BOS.
 */
class LocalBlendTest {

    private static final ClipTokenizer TOKENIZER = ClipTokenizer.load(Reference.root().resolve("tiny/tokenizer"));
    private static final List<String> PROMPTS = List.of("a cat", "a dog");
    private static final int WORD = 2;
    private static final AttentionContext DOWN = new AttentionContext(
            "down_blocks.1.attentions.0.transformer_blocks.0.attn2", true, 1, 4, 4);
    private static final AttentionContext UP = new AttentionContext(
            "up_blocks.0.attentions.0.transformer_blocks.0.attn2", true, 1, 8, 8);
    private static final AttentionContext MID = new AttentionContext(
            "mid_block.attentions.0.transformer_blocks.0.attn2", true, 1, 2, 2);

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** [uncond x 2, cond x 2] rows of [side*side, 77]; the cond rows attend to WORD at one cell each. */
    private NDArray maps(int side, int sourceCell, int targetCell) {
        int t = side * side;
        float[] data = new float[4 * t * 77];
        for (int b = 0; b < 4; b++) {
            for (int q = 0; q < t; q++) {
                boolean hot = (b == 2 && q == sourceCell) || (b == 3 && q == targetCell);
                data[(b * t + q) * 77 + (hot ? WORD : 0)] = 1f;
            }
        }
        return manager.create(data, new Shape(4, t, 77));
    }

    @Test
    void sourceRegionJoinsTheTargetsAndTheSourceIsKeptOutside() {
        LocalBlendOptions options = LocalBlendOptions.of(List.of("cat", "dog")).withStart(0.5);
        try (LocalBlend blend = LocalBlend.create(TOKENIZER, PROMPTS, options, 4, manager)) {
            // Source "cat" at 4x4 cell (1, 1); target "dog" at (3, 3). The 8x8 layer is finer: ignored.
            NDArray down = maps(4, 5, 15);
            assertSame(down, blend.edit(down, DOWN), "the blend only records");
            blend.edit(maps(8, 0, 0), UP);
            blend.edit(maps(2, 0, 0), MID);
            NDArray latents = manager.create(new float[] {0, 1}).reshape(2, 1, 1, 1).broadcast(new Shape(2, 3, 8, 8));
            assertSame(latents, blend.blend(latents, 1), "step 1 < (int) (0.5 * 4)");
            NDArray blended = blend.blend(latents, 2);
            // Max-pool 3x3 dilates (1, 1) to rows/cols 0..2 and (3, 3) to 2..3; x2 nearest: 0..5 and 4..7.
            float[] expected = new float[64];
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    boolean source = y <= 5 && x <= 5;
                    boolean target = y >= 4 && x >= 4;
                    expected[y * 8 + x] = source || target ? 1f : 0f;
                }
            }
            assertArrayEquals(new float[3 * 64], blended.get(0).toFloatArray(), "source row unchanged");
            for (int c = 0; c < 3; c++) {
                assertArrayEquals(expected, blended.get(1, c).toFloatArray(), "target channel " + c);
            }
            assertEquals(new Shape(2, 1, 8, 8), blend.lastMask().getShape());
        }
    }

    @Test
    void anExplicitMapSizeReadsThatResolution() {
        LocalBlendOptions options = LocalBlendOptions.of(List.of("cat", "dog")).withStart(0).withMapSize(8, 8);
        try (LocalBlend blend = LocalBlend.create(TOKENIZER, PROMPTS, options, 4, manager)) {
            blend.edit(maps(4, 5, 15), DOWN);
            blend.edit(maps(8, 0, 63), UP); // corners: dilated to 2x2 blocks at 8x8
            NDArray latents = manager.create(new float[] {0, 1}).reshape(2, 1, 1, 1).broadcast(new Shape(2, 1, 8, 8));
            float[] target = blend.blend(latents, 0).get(1, 0).toFloatArray();
            float sum = 0;
            for (float v : target) {
                sum += v;
            }
            assertEquals(8f, sum, "two 2x2 corner blocks");
            assertEquals(1f, target[0]);
            assertEquals(1f, target[63]);
        }
    }

    @Test
    void failsLoudly() {
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class,
                () -> LocalBlend.create(TOKENIZER, PROMPTS, LocalBlendOptions.of(List.of("cow")), 4, manager));
        assertTrue(word.getMessage().contains("cow"), word.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LocalBlendOptions.of(List.of("cat")).withThreshold(1.5));
        try (LocalBlend blend = LocalBlend.create(TOKENIZER, PROMPTS, LocalBlendOptions.of(List.of("cat")), 4,
                manager)) {
            NDArray latents = manager.zeros(new Shape(2, 4, 8, 8));
            IllegalStateException empty = assertThrows(IllegalStateException.class, () -> blend.blend(latents, 3));
            assertTrue(empty.getMessage().contains("no cross-attention maps"), empty.getMessage());
        }
    }
}

package io.s2edit.s2edit.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.pipeline.Images;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.scheduler.DdimScheduler;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.s2edit.Noise;
import io.s2edit.s2edit.TinyFixture;
import io.s2edit.s2edit.mask.ObjectMask;
import io.s2edit.s2edit.mask.ObjectMaskExtractor;
import io.s2edit.s2edit.prompt.EnhancedPrompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Eq. 3 on the tiny UNet: with spatial control, [I]'s attention outside M_obj is exactly zero in
 * every cross-attention layer (recorded by a store placed after the control), only in the rows
 * whose prompt carries [I]; and M_obj is the binarised mean map of the object word.
 */
class SpatialControlTest {

    static final EnhancedPrompt PROMPT = EnhancedPrompt.identity("a photo of a [I] cat", "cat");

    static NDManager manager;
    static StableDiffusion model;
    static EnhancedPrompt.Tokens tokens;
    static TokenIds unconditional;
    static ObjectMask mask;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        model = TinyFixture.load(manager);
        model.tokenizer().addTokens("[I]");
        try (NDScope scope = new NDScope()) {
            NDArray table = model.textEncoder().tokenEmbeddingTable().get();
            model.textEncoder().addTokenEmbeddings(table.get(model.tokenizer().idOf("cat</w>")).reshape(1, -1));
        }
        tokens = PROMPT.tokenize(model.tokenizer());
        unconditional = model.tokenizer().encode("");
        // A known mask at the 16x16 latent size: the disc of TinyFixture.disc() (centre 12,14, radius 8 px -> 6,7, radius 4).
        float[] disc = new float[16 * 16];
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                disc[y * 16 + x] = (x - 6) * (x - 6) + (y - 7) * (y - 7) <= 16 ? 1f : 0f;
            }
        }
        mask = ObjectMask.ofBinary(disc, 16, 16);
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    /** Runs the UNet on a guided batch [uncond, P~] with {@code edits} installed. */
    static void run(List<AttentionEdit> edits) {
        try (NDScope scope = new NDScope();
                AttentionControl control = AttentionControl.install(model.unet(), edits)) {
            NDArray context = model.textEncoder().forward(List.of(unconditional, tokens.enhanced()), manager).lastHiddenState();
            NDArray latents = Noise.gaussian(manager, new Random(5), 2, 4, 16, 16);
            model.unet().forward(latents, 500f, context);
        }
    }

    static Set<String> crossAttentionLayers() {
        Set<String> out = new TreeSet<>();
        model.unet().attentionLayers().forEach((path, layer) -> {
            if (layer.isCrossAttention()) {
                out.add(path);
            }
        });
        return out;
    }

    @Test
    void tokenAttentionOutsideTheMaskIsExactlyZeroInEveryCrossAttentionLayer() {
        int position = tokens.tokenPosition();
        SpatialControl spatial = SpatialControl.forPrompts(mask, List.of(unconditional, tokens.enhanced()), tokens.tokenId(), false);
        AttentionStore conditional = AttentionStore.ofRow(1, position);
        AttentionStore unconditionalRow = AttentionStore.ofRow(0, position);
        AttentionStore unmasked = AttentionStore.ofRow(1, position);
        run(List.of(unmasked, spatial, conditional, unconditionalRow)); // a store before the control sees the raw maps

        Set<String> recorded = new TreeSet<>();
        int outside = 0;
        for (int e = 0; e < conditional.entries().size(); e++) {
            AttentionStore.Entry entry = conditional.entries().get(e);
            AttentionContext layer = entry.layer();
            recorded.add(layer.path());
            float[] m = mask.at(layer.height(), layer.width());
            float[] masked = entry.maps()[0];
            float[] raw = unmasked.entries().get(e).maps()[0];
            float[] other = unconditionalRow.entries().get(e).maps()[0];
            boolean otherRowTouched = false;
            for (int i = 0; i < m.length; i++) {
                if (m[i] == 0f) {
                    outside++;
                    assertEquals(0f, masked[i], layer.path() + " query " + i + ": [I] must not attend outside the mask");
                    assertTrue(raw[i] > 0f, "without the mask [I] attends there (the check could fail)");
                    otherRowTouched |= other[i] == 0f;
                } else {
                    assertEquals(raw[i], masked[i], 0f, layer.path() + ": inside the mask Eq. 3 leaves A_[I] as it is");
                }
            }
            assertTrue(!otherRowTouched, layer.path() + ": the unconditional row carries no [I] and is not masked");
        }
        assertEquals(crossAttentionLayers(), recorded, "every cross-attention layer recorded");
        assertTrue(outside > 0, "the mask has a background");
    }

    @Test
    void renormalisationKeepsRowsSummingToOneAndTheBackgroundAtZero() {
        SpatialControl spatial = SpatialControl.forPrompts(mask, List.of(unconditional, tokens.enhanced()), tokens.tokenId(), true);
        List<float[]> sums = new ArrayList<>();
        AttentionEdit rowSums = (p, c) -> {
            if (c.crossAttention()) {
                sums.add(p.sum(new int[] {-1}).toFloatArray());
            }
            return p;
        };
        AttentionStore conditional = AttentionStore.ofRow(1, tokens.tokenPosition());
        run(List.of(spatial, rowSums, conditional));
        for (float[] s : sums) {
            for (float v : s) {
                assertEquals(1f, v, 1e-5f);
            }
        }
        for (AttentionStore.Entry entry : conditional.entries()) {
            float[] m = mask.at(entry.layer().height(), entry.layer().width());
            for (int i = 0; i < m.length; i++) {
                if (m[i] == 0f) {
                    assertEquals(0f, entry.maps()[0][i]);
                }
            }
        }
    }

    /**
     * The extracted M_obj is the binarised mean of the object word's maps: recorded here by an
     * independent recorder during the same DDIM inversion (3 steps), averaged over heads, layers
     * (8x8 maps replicated to 16x16) and steps, min-max normalised, > 0.3.
     */
    @Test
    void extractedMaskIsTheBinarisedMeanMapOfTheObjectWord() {
        int[] cat = tokens.plainObjectPositions();
        ObjectMaskExtractor.Result result;
        List<float[]> maps = new ArrayList<>();
        AttentionEdit recorder = (p, c) -> {
            if (c.crossAttention()) {
                int h = c.heads();
                float[] all = p.get(new NDIndex("0:{}", h)).toFloatArray(); // [h, T, S]
                int t = (int) c.queryLength();
                int s = (int) p.getShape().get(2);
                float[] map = new float[16 * 16];
                int factor = 16 / (int) c.height();
                for (int head = 0; head < h; head++) {
                    for (int q = 0; q < t; q++) {
                        for (int k : cat) {
                            float v = all[(head * t + q) * s + k] / (h * cat.length);
                            int y = q / (int) c.width();
                            int x = q % (int) c.width();
                            for (int dy = 0; dy < factor; dy++) {
                                for (int dx = 0; dx < factor; dx++) {
                                    map[(y * factor + dy) * 16 + x * factor + dx] += v;
                                }
                            }
                        }
                    }
                }
                maps.add(map);
            }
            return p;
        };
        try (NDScope scope = new NDScope()) {
            NDArray latents = model.vae().encodeLatents(Images.toSignedTensor(TinyFixture.disc(), manager)); // [1, 4, 16, 16]
            result = ObjectMaskExtractor.extract(model, latents, tokens.plain(), cat,
                    ObjectMaskExtractor.Options.defaults().withSteps(3), (stage, i, n) -> { });
            DdimScheduler scheduler = model.newScheduler();
            scheduler.setTimesteps(3);
            int[] ts = scheduler.timesteps();
            try (AttentionControl control = AttentionControl.install(model.unet(), List.of(recorder))) {
                NDArray context = model.textEncoder().forward(List.of(tokens.plain()), manager).lastHiddenState();
                NDArray x = latents;
                for (int i = 0; i < ts.length; i++) {
                    int t = ts[ts.length - 1 - i];
                    x = scheduler.inverseStep(model.unet().forward(x, t, context), t, x).prevSample();
                }
            }
        }
        assertEquals(3 * crossAttentionLayers().size(), maps.size());
        assertEquals(maps.size(), result.mapsAveraged());
        float[] mean = new float[256];
        for (float[] map : maps) {
            for (int i = 0; i < 256; i++) {
                mean[i] += map[i] / maps.size();
            }
        }
        assertArrayEquals(mean, result.meanMap(), 1e-6f);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : mean) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = (mean[i] - min) / (max - min) > 0.3f ? 1f : 0f;
        }
        assertArrayEquals(expected, result.mask().values());
        double coverage = result.mask().coverage();
        assertTrue(coverage > 0 && coverage < 1, "a mask with object and background, got coverage " + coverage);
    }
}

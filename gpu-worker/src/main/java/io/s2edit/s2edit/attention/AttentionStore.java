package io.s2edit.s2edit.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.s2edit.engine.unet.AttentionContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Records cross-attention maps of chosen token positions, averaged over heads, for one batch row,
 * per layer and per step; the probabilities pass through unchanged. Placed after
 * {@link SpatialControl} in an {@link AttentionControl} chain it sees the masked maps; placed
 * before, the raw ones.
 *
 * <p>The row is either an absolute batch row ({@link #ofRow}) or the first row of the conditional
 * half of a classifier-free-guidance batch [uncond..., cond...] ({@link #conditional}: row B/2,
 * which is row 0 of an unguided batch of one). Steps are whatever the driver says they are:
 * call {@link #beginStep} before each UNet call or denoising step.
 *
 * <p>Letters: B batch, h heads, H x W the layer's query map, T = H*W, S = 77 text tokens.
 * Recording reads values back to the host (detached from any autograd graph); it is meant for
 * the few positions of a word, not for whole attention tensors. Stateful; one pass at a time.
 */
public final class AttentionStore implements AttentionEdit {

    /**
     * One cross-attention layer at one step.
     *
     * @param step the step set by {@link #beginStep}
     * @param layer the layer (path, heads, H, W)
     * @param maps [P][T]: per recorded position, the map over the layer's H x W queries
     *     (p = y * W + x), averaged over heads
     */
    public record Entry(int step, AttentionContext layer, float[][] maps) {

        /** The maps averaged over the recorded positions, [T]. */
        public float[] meanOverPositions() {
            float[] out = new float[maps[0].length];
            for (float[] map : maps) {
                for (int i = 0; i < out.length; i++) {
                    out[i] += map[i] / maps.length;
                }
            }
            return out;
        }
    }

    private static final int CONDITIONAL = -1;

    private final int row;
    private final int[] positions;
    private final List<Entry> entries = new ArrayList<>();
    private int step;

    private AttentionStore(int row, int[] positions) {
        if (positions.length == 0) {
            throw new IllegalArgumentException("an attention store needs at least one token position");
        }
        for (int p : positions) {
            if (p < 0) {
                throw new IllegalArgumentException("token positions must be >= 0, got " + p);
            }
        }
        this.row = row;
        this.positions = positions.clone();
    }

    /** Records the first row of the conditional half (row B/2; row 0 when B = 1). */
    public static AttentionStore conditional(int... positions) {
        return new AttentionStore(CONDITIONAL, positions);
    }

    /** Records batch row {@code row}. */
    public static AttentionStore ofRow(int row, int... positions) {
        if (row < 0) {
            throw new IllegalArgumentException("batch row must be >= 0, got " + row);
        }
        return new AttentionStore(row, positions);
    }

    /** Entries recorded from now on carry {@code step}. */
    public void beginStep(int step) {
        this.step = step;
    }

    /** Everything recorded, in call order. */
    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    public void clear() {
        entries.clear();
    }

    @Override
    public NDArray edit(NDArray probabilities, AttentionContext context) {
        if (!context.crossAttention()) {
            return probabilities;
        }
        int heads = context.heads();
        long batch = probabilities.getShape().get(0) / heads;
        long b = row == CONDITIONAL ? batch / 2 : row;
        if (b >= batch) {
            throw new IllegalArgumentException("attention store records batch row " + b + " but layer " + context.path()
                    + " runs a batch of " + batch);
        }
        long keys = probabilities.getShape().get(2);
        float[][] maps = new float[positions.length][];
        NDArray rows = probabilities.stopGradient().get(new NDIndex("{}:{}", b * heads, (b + 1) * heads)); // [h, T, S]
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] >= keys) {
                throw new IllegalArgumentException("token position " + positions[i] + " is outside the " + keys + " keys of " + context.path());
            }
            maps[i] = rows.get(new NDIndex(":, :, {}", positions[i])).mean(new int[] {0}).toFloatArray(); // [T]
        }
        entries.add(new Entry(step, context, maps));
        return probabilities;
    }
}

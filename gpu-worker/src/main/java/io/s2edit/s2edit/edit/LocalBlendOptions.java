package io.s2edit.s2edit.edit;

import java.util.List;
import java.util.Objects;

/**
 * Options of {@link LocalBlend}, defaults from {@code null_text_w_ptp.ipynb}'s {@code LocalBlend}.
 *
 * @param words      blend words; every prompt (source and each target) selects those of them it
 *                   contains ({@code prompt.split(" ")} spelling), so {@code ["cat", "dog"]} for
 *                   "a cat ..." to "a dog ..." gives the reference's {@code (("cat",), ("dog",))}.
 *                   A prompt with none of them has an empty region; at least one word must be in
 *                   some prompt
 * @param threshold  the region is where the max-normalised map exceeds this (reference 0.3)
 * @param start      fraction of the steps before blending begins: blending runs at step indices
 *                   {@code i >= (int) (start N)} (reference 0.2)
 * @param mapHeight  resolution of the cross-attention maps to read, or 0 (with mapWidth 0) for the
 *                   coarsest resolution at which down and up blocks cross-attend: 16 x 16 for SD v1
 *                   at 512 x 512, the reference's hard-coded choice (its five layers
 *                   {@code down_cross[2:4] + up_cross[:3]})
 * @param mapWidth   see mapHeight
 * @param accumulate true (the reference): the maps are summed over every step so far, as the
 *                   reference's {@code attention_store}; false: only the current step's maps
 */
public record LocalBlendOptions(List<String> words, double threshold, double start, int mapHeight, int mapWidth,
        boolean accumulate) {

    public static final double DEFAULT_THRESHOLD = 0.3;
    public static final double DEFAULT_START = 0.2;

    public LocalBlendOptions {
        words = List.copyOf(Objects.requireNonNull(words, "blend words"));
        if (words.isEmpty()) {
            throw new IllegalArgumentException("local blend needs at least one word");
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("local blend threshold must be in [0, 1) (a fraction of the map's"
                    + " maximum; reference 0.3), got " + threshold);
        }
        if (!(start >= 0 && start <= 1)) {
            throw new IllegalArgumentException("local blend start must be a fraction of the steps in [0, 1], got "
                    + start);
        }
        if (mapHeight < 0 || mapWidth < 0 || (mapHeight == 0) != (mapWidth == 0)) {
            throw new IllegalArgumentException("local blend map size must be both 0 (the coarsest down/up"
                    + " cross-attention resolution) or both positive, got " + mapHeight + "x" + mapWidth);
        }
    }

    /** The reference defaults for {@code words}: threshold 0.3, start 0.2, coarsest maps, accumulated. */
    public static LocalBlendOptions of(List<String> words) {
        return new LocalBlendOptions(words, DEFAULT_THRESHOLD, DEFAULT_START, 0, 0, true);
    }

    public LocalBlendOptions withThreshold(double value) {
        return new LocalBlendOptions(words, value, start, mapHeight, mapWidth, accumulate);
    }

    public LocalBlendOptions withStart(double value) {
        return new LocalBlendOptions(words, threshold, value, mapHeight, mapWidth, accumulate);
    }

    public LocalBlendOptions withMapSize(int height, int width) {
        return new LocalBlendOptions(words, threshold, start, height, width, accumulate);
    }

    public LocalBlendOptions withAccumulate(boolean value) {
        return new LocalBlendOptions(words, threshold, start, mapHeight, mapWidth, value);
    }

    /** First step index that blends: {@code (int) (start N)}. */
    public int startStep(int steps) {
        return (int) (start * steps);
    }
}

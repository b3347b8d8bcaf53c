package io.s2edit.s2edit.mask;

import io.s2edit.engine.pipeline.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * M_obj of S2Edit's spatial control (§3.2, Eq. 3): a binary mask of the object [I] stands for,
 * held at a base resolution (the latent size h x w) and served at every attention resolution by
 * {@link #at}. Values are 0 or 1, row-major (index y * w + x); 1 = object.
 *
 * <p>Made from
 * <ul>
 *   <li>the object word's mean cross-attention map ({@link #fromAttention}): min-max normalised to
 *       [0, 1], then object where the normalised value is {@code > threshold} (0.3 by default, as
 *       Prompt-to-Prompt's local blend compares). A constant map carries no location and gives
 *       the whole image;</li>
 *   <li>a user's mask image ({@link #fromImage}, any size): luminance (0.299 R + 0.587 G +
 *       0.114 B) / 255, area-resized to the base resolution, object where {@code >= 0.5}; alpha is
 *       ignored.</li>
 * </ul>
 *
 * <p><b>Resizing.</b> Every change of resolution is {@link AreaResize} (torch's adaptive average
 * pooling) of the binary mask followed by {@code >= 0.5}: a cell is object when at least half of
 * the area it covers is. Upscaling by an integer factor is exact replication (nearest). The PNG
 * written by {@link #writePng} (white = object) is resized the same way, so reading it back with
 * {@link #fromImage} at the same base resolution gives the same mask.
 *
 * <p>Immutable; {@link #at} caches per resolution and is thread-safe.
 */
public final class ObjectMask {

    /** The default binarisation threshold for normalised attention maps. */
    public static final double DEFAULT_THRESHOLD = 0.3;

    private final int height;
    private final int width;
    private final float[] values;
    private final Map<Long, float[]> byResolution = new ConcurrentHashMap<>();

    private ObjectMask(float[] values, int height, int width) {
        this.height = height;
        this.width = width;
        this.values = values;
    }

    /** A mask from 0/1 values [height * width]. */
    public static ObjectMask ofBinary(float[] values, int height, int width) {
        if (height <= 0 || width <= 0 || values.length != height * width) {
            throw new IllegalArgumentException("mask of " + values.length + " values cannot be " + height + "x" + width);
        }
        for (float v : values) {
            if (v != 0f && v != 1f) {
                throw new IllegalArgumentException("a binary mask holds only 0 and 1, found " + v);
            }
        }
        return new ObjectMask(values.clone(), height, width);
    }

    /**
     * Binarises a mean cross-attention map [height * width]: min-max normalisation to [0, 1], then
     * object where {@code > threshold}.
     */
    public static ObjectMask fromAttention(float[] map, int height, int width, double threshold) {
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("mask threshold must be in [0, 1), got " + threshold);
        }
        float[] normalised = normalise(map);
        float[] out = new float[map.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = normalised[i] > threshold ? 1f : 0f;
        }
        return ofBinary(out, height, width);
    }

    /** Min-max normalisation to [0, 1]; a constant map becomes all ones (no location to prefer). */
    public static float[] normalise(float[] map) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("attention map holds a non-finite value " + v);
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float[] out = new float[map.length];
        for (int i = 0; i < map.length; i++) {
            out[i] = max > min ? (map[i] - min) / (max - min) : 1f;
        }
        return out;
    }

    /** A user's mask image (white = object), any size, at base resolution {@code height x width}. */
    public static ObjectMask fromImage(BufferedImage image, int height, int width) {
        int h = image.getHeight();
        int w = image.getWidth();
        float[] gray = new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(x, y);
                gray[y * w + x] = (0.299f * ((rgb >> 16) & 0xFF) + 0.587f * ((rgb >> 8) & 0xFF) + 0.114f * (rgb & 0xFF)) / 255f;
            }
        }
        return new ObjectMask(binarise(AreaResize.resize(gray, h, w, height, width)), height, width);
    }

    /** Reads a mask PNG (or any image {@link Images#read} takes); see {@link #fromImage}. */
    public static ObjectMask read(Path file, int height, int width) throws IOException {
        return fromImage(Images.read(file), height, width);
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** The mask at base resolution, 0/1, [height * width]. */
    public float[] values() {
        return values.clone();
    }

    /** Fraction of the base cells that are object. */
    public double coverage() {
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /**
     * The mask at an attention layer's resolution, 0/1, [h * w] (index y * w + x): area-resized,
     * object where at least half covered. Shared cached array: do not modify.
     */
    public float[] at(long h, long w) {
        if (h == height && w == width) {
            return values;
        }
        return byResolution.computeIfAbsent(h << 32 | w,
                key -> binarise(AreaResize.resize(values, height, width, (int) h, (int) w)));
    }

    /** The mask as an image of {@code imageHeight x imageWidth}: white object, black background. */
    public BufferedImage toImage(int imageHeight, int imageWidth) {
        float[] v = at(imageHeight, imageWidth);
        BufferedImage image = new BufferedImage(imageWidth, imageHeight, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < imageHeight; y++) {
            for (int x = 0; x < imageWidth; x++) {
                image.setRGB(x, y, v[y * imageWidth + x] > 0 ? 0xFFFFFF : 0);
            }
        }
        return image;
    }

    /** Writes the mask as a PNG of the image size (white = object). */
    public void writePng(Path file, int imageHeight, int imageWidth) throws IOException {
        Images.writePng(toImage(imageHeight, imageWidth), file);
    }

    private static float[] binarise(float[] fractions) {
        float[] out = new float[fractions.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = fractions[i] >= 0.5f ? 1f : 0f;
        }
        return out;
    }

    @Override
    public String toString() {
        return String.format("ObjectMask[%dx%d, %.1f%% object]", height, width, 100 * coverage());
    }
}

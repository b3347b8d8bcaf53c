package io.s2edit.engine.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Images to and from tensors. An image tensor is [1, 3, H, W] RGB; "unit" means values in [0, 1],
 * "signed" in [-1, 1] (what the VAE encoder takes). 8-bit values round like diffusers'
 * {@code numpy_to_pil}: (x * 255).round(), half to even.
 */
public final class Images {

    private Images() {
    }

    /** [1, 3, H, W] in [0, 1] -> an RGB image. */
    public static BufferedImage toImage(NDArray unit) {
        long[] s = unit.getShape().getShape();
        if (s.length != 4 || s[0] != 1 || s[1] != 3) {
            throw new IllegalArgumentException("expected an image tensor [1, 3, H, W], got " + unit.getShape());
        }
        int h = (int) s[2];
        int w = (int) s[3];
        float[] v = unit.toFloatArray();
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                image.setRGB(x, y, (to8Bit(v[i]) << 16) | (to8Bit(v[plane + i]) << 8) | to8Bit(v[2 * plane + i]));
            }
        }
        return image;
    }

    static int to8Bit(float unit) {
        return (int) Math.rint(Math.min(1f, Math.max(0f, unit)) * 255f);
    }

    /** An RGB image -> [1, 3, H, W] in [-1, 1]. */
    public static NDArray toSignedTensor(BufferedImage image, NDManager manager) {
        int h = image.getHeight();
        int w = image.getWidth();
        float[] v = new float[3 * h * w];
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(x, y);
                int i = y * w + x;
                v[i] = ((rgb >> 16) & 0xFF) / 127.5f - 1f;
                v[plane + i] = ((rgb >> 8) & 0xFF) / 127.5f - 1f;
                v[2 * plane + i] = (rgb & 0xFF) / 127.5f - 1f;
            }
        }
        return manager.create(v).reshape(1, 3, h, w);
    }

    /** Writes a PNG, creating parent folders. */
    public static void writePng(BufferedImage image, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    /** Reads an image file; a file that is not an image is an error naming it. */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("image " + file + " does not exist");
        }
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new IOException(file + " is not a readable image (PNG, JPEG, BMP or GIF)");
        }
        return image;
    }
}

package io.s2edit.s2edit;

import ai.djl.ndarray.NDManager;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.testing.Reference;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The method's tests run on the committed "tiny" checkpoint (VAE factor 2, UNet 2 levels, 32-wide
 * text encoder) with small synthetic images: a 32x32 image has 16x16 latents, cross-attention at
 * 16x16 and 8x8.
 */
public final class TinyFixture {

    public static final int SIZE = 32;

    private TinyFixture() {
    }

    public static Path checkpoint() {
        return Reference.root().resolve("tiny");
    }

    /** A freshly loaded tiny checkpoint (tokens not added yet). */
    public static StableDiffusion load(NDManager manager) {
        try {
            return StableDiffusion.load(checkpoint(), manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A warm disc (the "object") at (cx, cy) with radius r on a cool gradient background. */
    public static BufferedImage disc(int size, int cx, int cy, int r) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                int red = inside ? 230 : 20 + 3 * x;
                int green = inside ? 160 - 2 * y : 60;
                int blue = inside ? 40 : 120 + 2 * y;
                image.setRGB(x, y, (red << 16) | (green << 8) | blue);
            }
        }
        return image;
    }

    public static BufferedImage disc() {
        return disc(SIZE, 12, 14, 8);
    }
}

package io.s2edit.s2edit.stages;

import io.s2edit.engine.pipeline.StableDiffusion;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Fits an input image to the checkpoint's native resolution (UNet sample size x VAE factor: 512 for
 * SD v1, 64 for the tiny test checkpoint): centre crop to a square, then bicubic resize. Every stage
 * of one identity fits the same way, so fine-tuning, inversion and masks line up.
 */
public final class ImageFit {

    private ImageFit() {
    }

    /** The side the model works at. */
    public static int nativeSize(StableDiffusion model) {
        return model.unet().config().sampleSize() * model.vae().config().downscaleFactor();
    }

    public static BufferedImage toModel(StableDiffusion model, BufferedImage image) {
        int size = nativeSize(model);
        int side = Math.min(image.getWidth(), image.getHeight());
        int x = (image.getWidth() - side) / 2;
        int y = (image.getHeight() - side) / 2;
        if (side == size && image.getWidth() == size && image.getHeight() == size
                && image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.drawImage(image, 0, 0, size, size, x, y, x + side, y + side, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}

package io.s2edit.s2edit.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Binarisation, resizing and the PNG form of M_obj. */
class ObjectMaskTest {

    @Test
    void areaResizeAveragesBlocksReplicatesCellsAndMatchesAdaptivePooling() {
        float[] m = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}; // 4x4
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, AreaResize.resize(m, 4, 4, 2, 2));
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4},
                AreaResize.resize(new float[] {1, 2, 3, 4}, 2, 2, 4, 4), "integer upscaling is nearest");
        // torch.nn.functional.adaptive_avg_pool1d(torch.arange(1., 6.).view(1, 1, 5), 3) = [1.5, 3.0, 4.5]:
        // bins [0, 2), [1, 4), [3, 5).
        assertArrayEquals(new float[] {1.5f, 3f, 4.5f}, AreaResize.resize(new float[] {1, 2, 3, 4, 5}, 1, 5, 1, 3), 1e-6f);
    }

    @Test
    void attentionMapsAreMinMaxNormalisedAndThresholded() {
        float[] map = {1, 2, 3, 5}; // normalised exactly: 0, 0.25, 0.5, 1
        assertArrayEquals(new float[] {0, 0, 1, 1}, ObjectMask.fromAttention(map, 2, 2, 0.3).values());
        assertArrayEquals(new float[] {0, 0, 0, 1}, ObjectMask.fromAttention(map, 2, 2, 0.5).values(), "strictly above");
        assertArrayEquals(new float[] {1, 1, 1, 1}, ObjectMask.fromAttention(new float[] {2, 2, 2, 2}, 2, 2, 0.3).values(),
                "a constant map has no location: whole image");
        assertThrows(IllegalArgumentException.class, () -> ObjectMask.fromAttention(map, 2, 2, 1.0));
    }

    @Test
    void everyResolutionIsTheAreaMajority() {
        float[] values = new float[16];
        values[0] = 1; // top-left 2x2 block: 3 of 4 cells -> object at 2x2
        values[1] = 1;
        values[4] = 1;
        values[10] = 1; // bottom-right block: 2 of 4 -> object (at least half)
        values[11] = 1;
        ObjectMask mask = ObjectMask.ofBinary(values, 4, 4);
        assertArrayEquals(new float[] {1, 0, 0, 1}, mask.at(2, 2));
        assertArrayEquals(new float[] {0}, mask.at(1, 1), "5 of 16 cells");
        assertThrows(IllegalArgumentException.class, () -> ObjectMask.ofBinary(new float[] {0.5f}, 1, 1));
    }

    @Test
    void userMaskOfAnySizeIsResizedAndBinarisedAtHalf(@TempDir Path dir) throws Exception {
        BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB); // black
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 20, 40); // left half white
        g.setColor(new Color(100, 100, 100)); // grey below 0.5: background
        g.fillRect(20, 0, 20, 20);
        g.dispose();
        ObjectMask mask = ObjectMask.fromImage(image, 4, 4);
        assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0}, mask.values());

        Path png = dir.resolve("mask-I.png");
        mask.writePng(png, 8, 8);
        assertEquals(8, javax.imageio.ImageIO.read(png.toFile()).getWidth());
        assertArrayEquals(mask.values(), ObjectMask.read(png, 4, 4).values(), "the saved PNG reads back as the same mask");
        assertEquals(0xFFFFFF, javax.imageio.ImageIO.read(png.toFile()).getRGB(0, 0) & 0xFFFFFF, "white = object");
        Files.delete(png);
    }
}

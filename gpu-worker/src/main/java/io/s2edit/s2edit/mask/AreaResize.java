package io.s2edit.s2edit.mask;

/**
 * Area resizing of a single-channel map, as torch's {@code adaptive_avg_pool2d} (and
 * {@code interpolate(mode="area")}): output cell (i, j) averages the input cells in rows
 * [floor(i*H/h), ceil((i+1)*H/h)) and columns [floor(j*W/w), ceil((j+1)*W/w)). Downscaling by an
 * integer factor averages blocks; upscaling by an integer factor replicates cells (nearest); other
 * ratios average the at most two overlapping cells per axis. Maps are row-major, index y * W + x.
 */
public final class AreaResize {

    private AreaResize() {
    }

    /** Resizes {@code map} [inH * inW] to [outH * outW]. */
    public static float[] resize(float[] map, int inH, int inW, int outH, int outW) {
        if (map.length != inH * inW) {
            throw new IllegalArgumentException("map has " + map.length + " values, expected " + inH + "x" + inW);
        }
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("output size must be positive, got " + outH + "x" + outW);
        }
        if (inH == outH && inW == outW) {
            return map.clone();
        }
        float[] out = new float[outH * outW];
        for (int i = 0; i < outH; i++) {
            int y0 = Math.floorDiv(i * inH, outH);
            int y1 = -Math.floorDiv(-(i + 1) * inH, outH); // ceil
            for (int j = 0; j < outW; j++) {
                int x0 = Math.floorDiv(j * inW, outW);
                int x1 = -Math.floorDiv(-(j + 1) * inW, outW);
                double sum = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        sum += map[y * inW + x];
                    }
                }
                out[i * outW + j] = (float) (sum / ((y1 - y0) * (x1 - x0)));
            }
        }
        return out;
    }
}

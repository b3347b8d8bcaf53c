package io.s2edit.engine.scheduler;

/** {@code torch.linspace} in fp32: the first half counts up from start, the second down from end. */
final class Linspace {

    private Linspace() {
    }

    static float[] fp32(float start, float end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (steps - 1);
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
        }
        return out;
    }
}

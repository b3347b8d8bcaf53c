package io.s2edit.s2edit.inversion;

/**
 * Settings of Null-text inversion (Mokady et al., "Null-text Inversion for Editing Real Images
 * using Guided Diffusion Models", CVPR 2023, Algorithm 1).
 *
 * <p>The learning rate is not an option: the reference schedule 1e-2 (1 - i/100) for denoising
 * step i is part of the algorithm, and it is why {@code steps} may not exceed 100 (the rate would
 * reach zero).
 *
 * @param steps N, DDIM steps of the inversion and of every later edit (50 in the paper)
 * @param guidance w, the classifier-free guidance scale the null embeddings are optimised for.
 *     They reproduce the image only at this scale, so pass the scale editing will use. Default 5.0:
 *     the S2Edit paper finds 3.5-5.5 balances fidelity to the source against the strength of the
 *     edit; the Null-text paper and its notebook use 7.5.
 * @param innerSteps the most Adam iterations per denoising step (10 in the paper); 0 skips the
 *     optimisation, which leaves plain DDIM inversion with the initial null embedding
 * @param earlyStopEpsilon a step stops early once its loss is below
 *     {@code earlyStopEpsilon + i * earlyStopSlope} (1e-5 in the notebook)
 * @param earlyStopSlope the threshold's growth per denoising step i (2e-5 in the notebook)
 */
public record NullTextOptions(int steps, double guidance, int innerSteps, double earlyStopEpsilon, double earlyStopSlope) {

    /** The paper's settings at S2Edit's guidance: 50 steps, w = 5.0, 10 inner steps, 1e-5 + i 2e-5. */
    public static final NullTextOptions DEFAULT = new NullTextOptions(50, 5.0, 10, 1e-5, 2e-5);

    /** The most DDIM steps: the learning rate 1e-2 (1 - i/100) is zero at i = 100. */
    public static final int MAX_STEPS = 100;

    public NullTextOptions {
        if (steps < 1 || steps > MAX_STEPS) {
            throw new IllegalArgumentException("steps must be in [1, " + MAX_STEPS + "], got " + steps
                    + " (the reference learning rate 1e-2 * (1 - i/100) reaches zero at step 100)");
        }
        if (!(guidance >= 1 && guidance <= 100)) {
            throw new IllegalArgumentException("guidance must be in [1, 100], got " + guidance
                    + " (at w = 1 the null embedding has no effect; the S2Edit paper uses 3.5-5.5)");
        }
        if (innerSteps < 0 || innerSteps > 1000) {
            throw new IllegalArgumentException("innerSteps must be in [0, 1000], got " + innerSteps + " (the paper uses 10)");
        }
        if (!(earlyStopEpsilon >= 0) || Double.isInfinite(earlyStopEpsilon)) {
            throw new IllegalArgumentException("earlyStopEpsilon must be finite and >= 0, got " + earlyStopEpsilon
                    + " (the paper uses 1e-5)");
        }
        if (!(earlyStopSlope >= 0) || Double.isInfinite(earlyStopSlope)) {
            throw new IllegalArgumentException("earlyStopSlope must be finite and >= 0, got " + earlyStopSlope
                    + " (the paper uses 2e-5)");
        }
    }

    public NullTextOptions withSteps(int newSteps) {
        return new NullTextOptions(newSteps, guidance, innerSteps, earlyStopEpsilon, earlyStopSlope);
    }

    public NullTextOptions withGuidance(double newGuidance) {
        return new NullTextOptions(steps, newGuidance, innerSteps, earlyStopEpsilon, earlyStopSlope);
    }

    public NullTextOptions withInnerSteps(int newInnerSteps) {
        return new NullTextOptions(steps, guidance, newInnerSteps, earlyStopEpsilon, earlyStopSlope);
    }

    /** Adam's learning rate at denoising step i: 1e-2 (1 - i/100). */
    public double learningRate(int step) {
        return 1e-2 * (1. - step / 100.);
    }

    /** The early-stop threshold at denoising step i: epsilon + i * slope. */
    public double earlyStopThreshold(int step) {
        return earlyStopEpsilon + step * earlyStopSlope;
    }
}

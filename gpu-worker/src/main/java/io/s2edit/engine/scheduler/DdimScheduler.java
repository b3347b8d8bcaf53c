package io.s2edit.engine.scheduler;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.nn.Scalars;

/**
 * DDIM (Song et al., "Denoising Diffusion Implicit Models", eq. 12 with eta = 0), as diffusers'
 * {@code DDIMScheduler}, plus the inverse step of Null-text inversion (Mokady et al.).
 *
 * <p>Stateful: {@link #setTimesteps(int)} fixes the inference schedule that {@link #step} and
 * {@link #inverseStep} walk. Alphas are computed in fp32 exactly as diffusers does, so timesteps
 * and coefficients match it bit for bit where fp32 allows. Arrays shaped [B, C, h, w].
 */
public final class DdimScheduler {

    private final SchedulerConfig config;
    /** alpha-bar_t, the cumulative product of (1 - beta), in fp32: [numTrainTimesteps]. */
    private final float[] alphasCumprod;
    /** alpha-bar used "before" t = 0: 1 with set_alpha_to_one, else alpha-bar_0. */
    private final float finalAlphaCumprod;
    private int[] timesteps = new int[0];

    public DdimScheduler(SchedulerConfig config) {
        this.config = config;
        this.alphasCumprod = alphasCumprod(config);
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1f : alphasCumprod[0];
    }

    public SchedulerConfig config() {
        return config;
    }

    /** Read-only copy of alpha-bar. */
    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** The current schedule, noisiest first. */
    public int[] timesteps() {
        return timesteps.clone();
    }

    public int numInferenceSteps() {
        return timesteps.length;
    }

    /** Distance between consecutive inference timesteps, num_train_timesteps // N. */
    public int stepRatio() {
        return config.numTrainTimesteps() / timesteps.length;
    }

    /** Sets N inference steps with the configured spacing (diffusers {@code set_timesteps}). */
    public void setTimesteps(int n) {
        int total = config.numTrainTimesteps();
        if (n <= 0 || n > total) {
            throw new IllegalArgumentException("steps must be in [1, " + total + "], got " + n);
        }
        int[] out = new int[n];
        switch (config.timestepSpacing()) {
            case "leading" -> {
                int ratio = total / n;
                for (int i = 0; i < n; i++) {
                    out[i] = (n - 1 - i) * ratio + config.stepsOffset();
                }
            }
            case "trailing" -> {
                double ratio = (double) total / n;
                for (int i = 0; i < n; i++) {
                    out[i] = (int) Math.round(total - i * ratio) - 1;
                }
            }
            default -> { // linspace(0, total - 1, n), rounded, reversed
                for (int i = 0; i < n; i++) {
                    double v = (n == 1) ? 0 : (double) (total - 1) * (n - 1 - i) / (n - 1);
                    out[i] = (int) Math.rint(v);
                }
            }
        }
        this.timesteps = out;
    }

    /** alpha-bar at t, or the final alpha-bar for t < 0. */
    public float alphaCumprod(int t) {
        return t >= 0 ? alphasCumprod[t] : finalAlphaCumprod;
    }

    /**
     * One DDIM step from x_t to x_{t - T/N} (eta 0).
     *
     * @param eps predicted noise epsilon_theta(x_t, t)
     * @param t the current timestep, one of {@link #timesteps()}
     * @param sample x_t
     */
    public StepOutput step(NDArray eps, int t, NDArray sample) {
        int prevT = t - stepRatio(); // 1. previous timestep
        float alphaT = alphaCumprod(t); // 2. alpha-bar_t and alpha-bar_{t-1}
        float alphaPrev = alphaCumprod(prevT);
        return transfer(eps, sample, alphaT, alphaPrev);
    }

    /**
     * One inverse DDIM step from x_{t - T/N} up to x_t, as in Null-text inversion's {@code next_step}:
     * the noise is predicted at the target timestep t from the less noisy latent.
     *
     * @param eps epsilon_theta(x_{t - T/N}, t)
     * @param t the target timestep, one of {@link #timesteps()}
     * @param sample x_{t - T/N}
     */
    public StepOutput inverseStep(NDArray eps, int t, NDArray sample) {
        int currentT = Math.min(t - stepRatio(), config.numTrainTimesteps() - 1);
        return transfer(eps, sample, alphaCumprod(currentT), alphasCumprod[t]);
    }

    /**
     * Moves a sample between noise levels along the deterministic DDIM path:
     * x0 = (x - sqrt(1 - a_from) eps) / sqrt(a_from); x_to = sqrt(a_to) x0 + sqrt(1 - a_to) eps.
     */
    private static StepOutput transfer(NDArray eps, NDArray sample, float alphaFrom, float alphaTo) {
        float betaFrom = 1f - alphaFrom;
        // Scalars: Null-text inversion differentiates through this step.
        NDArray x0 = Scalars.div(sample.sub(Scalars.mul(eps, (float) Math.sqrt(betaFrom))), (float) Math.sqrt(alphaFrom)); // 3. predicted x_0
        NDArray direction = Scalars.mul(eps, (float) Math.sqrt(1f - alphaTo)); // 4. direction pointing to x_t
        NDArray next = Scalars.mul(x0, (float) Math.sqrt(alphaTo)).add(direction); // 5. x_{t-1} (or x_t when inverting)
        return new StepOutput(next, x0);
    }

    /** Forward diffusion q(x_t | x_0): sqrt(a_t) x0 + sqrt(1 - a_t) noise, t per batch element [B]. */
    public NDArray addNoise(NDArray x0, NDArray noise, int[] t) {
        float[] signal = new float[t.length];
        float[] sigma = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            signal[i] = (float) Math.sqrt(alphasCumprod[t[i]]);
            sigma[i] = (float) Math.sqrt(1f - alphasCumprod[t[i]]);
        }
        long[] perBatch = {t.length, 1, 1, 1};
        NDArray a = x0.getManager().create(signal).reshape(perBatch);
        NDArray s = x0.getManager().create(sigma).reshape(perBatch);
        return x0.mul(a).add(noise.mul(s));
    }

    /** alpha-bar in fp32 as diffusers computes it: betas = linspace(sqrt(b0), sqrt(b1), T)^2 (scaled_linear). */
    private static float[] alphasCumprod(SchedulerConfig c) {
        int n = c.numTrainTimesteps();
        boolean scaled = c.betaSchedule().equals("scaled_linear");
        float start = scaled ? (float) Math.sqrt(c.betaStart()) : (float) c.betaStart();
        float end = scaled ? (float) Math.sqrt(c.betaEnd()) : (float) c.betaEnd();
        float[] betas = Linspace.fp32(start, end, n);
        float[] out = new float[n];
        double product = 1; // torch's CPU cumprod accumulates fp32 in double
        for (int i = 0; i < n; i++) {
            float beta = scaled ? betas[i] * betas[i] : betas[i];
            product *= 1f - beta;
            out[i] = (float) product;
        }
        return out;
    }
}

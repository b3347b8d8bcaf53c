package io.s2edit.s2edit.inversion;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What Null-text inversion yields: the noise to start editing from and one optimised
 * unconditional embedding per denoising step. Letters: N steps, C latent channels, h x w latent
 * size, D text width. Arrays are owned by the manager passed to {@link NullTextInversion#invert}.
 *
 * @param xT the DDIM-inverted noise z_T [1, C, h, w] (the last of {@code ddimLatents})
 * @param nullEmbeddings N null embeddings [1, 77, D]; entry i is the unconditional context of
 *     denoising step i (timesteps in the scheduler's order, noisiest first)
 * @param sourceLatents z_0 = posterior mean x scaling factor [1, C, h, w] (the first of {@code ddimLatents})
 * @param ddimLatents the N + 1 latents of the DDIM inversion, z_0 first and z_T last
 * @param steps per denoising step, how the optimisation went
 * @param options the settings used, guidance included: the embeddings reproduce the image only at it
 */
public record InversionResult(NDArray xT, List<NDArray> nullEmbeddings, NDArray sourceLatents, List<NDArray> ddimLatents,
        List<StepDiagnostics> steps, NullTextOptions options) {

    public InversionResult {
        nullEmbeddings = List.copyOf(nullEmbeddings);
        ddimLatents = List.copyOf(ddimLatents);
        steps = List.copyOf(steps);
        if (nullEmbeddings.size() != options.steps() || ddimLatents.size() != options.steps() + 1
                || steps.size() != options.steps()) {
            throw new IllegalArgumentException("an inversion of " + options.steps() + " steps has " + options.steps()
                    + " null embeddings, " + (options.steps() + 1) + " DDIM latents and " + options.steps()
                    + " diagnostics; got " + nullEmbeddings.size() + ", " + ddimLatents.size() + " and " + steps.size());
        }
    }

    /**
     * How the null embedding of one denoising step was optimised.
     *
     * @param step i, 0 for the noisiest step
     * @param timestep t of that step
     * @param firstLoss MSE between the guided DDIM step and the inverted latent before any update
     * @param finalLoss the loss of the last inner iteration, measured before its update (as the
     *     reference's {@code loss.item()} is); NaN when {@code innerSteps} is 0
     * @param iterations inner iterations run, 1 to innerSteps (0 when innerSteps is 0)
     * @param earlyStopped whether the loss fell below the threshold before innerSteps ran out
     */
    public record StepDiagnostics(int step, int timestep, double firstLoss, double finalLoss, int iterations,
            boolean earlyStopped) {
    }
}

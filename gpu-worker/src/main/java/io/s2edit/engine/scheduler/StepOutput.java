package io.s2edit.engine.scheduler;

import ai.djl.ndarray.NDArray;

/**
 * The result of one scheduler step.
 *
 * @param prevSample the next latent on the walk (x_{t-1} when denoising, x_t when inverting)
 * @param predOriginalSample the predicted clean latent x_0
 */
public record StepOutput(NDArray prevSample, NDArray predOriginalSample) {
}

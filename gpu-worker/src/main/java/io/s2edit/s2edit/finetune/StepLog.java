package io.s2edit.s2edit.finetune;

/**
 * One pair's share of one fine-tuning step.
 *
 * @param step 1-based step
 * @param pair index of the training pair
 * @param timestep the sampled t in [0, T)
 * @param reconstruction L_recons, the noise-prediction MSE
 * @param semantic |cos(e_P, e_[I])| before the update (logged whether or not it is in the loss)
 */
public record StepLog(int step, int pair, int timestep, float reconstruction, float semantic) {
}

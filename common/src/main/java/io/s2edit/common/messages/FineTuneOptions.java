package io.s2edit.common.messages;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.problems.Require;

/**
 * Identity fine-tuning hyper-parameters (Liu et al., Sec. 4 "Implementation Details"; Eq. 2).
 * A null component takes the paper's value, so {@code {}} is a valid request.
 *
 * @param steps              optimisation steps (paper: 200)
 * @param learningRate       AdamW base learning rate (paper: 2e-6)
 * @param seed               RNG seed for timesteps and noise; null lets the gateway pick one,
 *                           job messages always carry it
 * @param semanticLoss       add lambda * |cos(e_P, e_[I])| (Eq. 2)
 * @param spatialControl     mask [I]'s cross-attention with the object mask M_obj
 * @param semanticLossWeight lambda of Eq. 2 (paper: 0.1)
 * @param maskThreshold      threshold that turns the object word's normalised cross-attention
 *                           into M_obj (0.3, as Prompt-to-Prompt's local blend)
 * @param identityFineTune   false skips fine-tuning: the Null-text inversion + Prompt-to-Prompt
 *                           baseline the paper compares with (default true)
 * @param maskSteps          DDIM-inversion steps whose cross-attention maps of the object word are
 *                           averaged into M_obj (default 50; 1..1000); used only with spatial
 *                           control and no uploaded mask. A later field of schema version 1:
 *                           a message without it reads as 50
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record FineTuneOptions(Integer steps, Double learningRate, Long seed, Boolean semanticLoss,
                              Boolean spatialControl, Double semanticLossWeight, Double maskThreshold,
                              Boolean identityFineTune, Integer maskSteps) {

    public static final int DEFAULT_STEPS = 200;
    public static final double DEFAULT_LEARNING_RATE = 2e-6;
    public static final double DEFAULT_SEMANTIC_LOSS_WEIGHT = 0.1;
    public static final double DEFAULT_MASK_THRESHOLD = 0.3;
    public static final int DEFAULT_MASK_STEPS = 50;
    public static final int MAX_MASK_STEPS = 1000;

    public FineTuneOptions {
        steps = Require.between("steps", steps == null ? DEFAULT_STEPS : steps, 1, 5000);
        learningRate = Require.aboveAtMost("learning_rate", learningRate == null ? DEFAULT_LEARNING_RATE : learningRate, 0, 1e-2);
        semanticLoss = semanticLoss == null || semanticLoss;
        spatialControl = spatialControl == null || spatialControl;
        semanticLossWeight = Require.between("semantic_loss_weight",
                semanticLossWeight == null ? DEFAULT_SEMANTIC_LOSS_WEIGHT : semanticLossWeight, 0, 10);
        maskThreshold = Require.aboveAtMost("mask_threshold", maskThreshold == null ? DEFAULT_MASK_THRESHOLD : maskThreshold, 0, 1);
        identityFineTune = identityFineTune == null || identityFineTune;
        maskSteps = Require.between("mask_steps", maskSteps == null ? DEFAULT_MASK_STEPS : maskSteps, 1, MAX_MASK_STEPS);
    }

    /** The paper's settings with no seed. */
    public static FineTuneOptions defaults() {
        return new FineTuneOptions(null, null, null, null, null, null, null, null, null);
    }

    public FineTuneOptions withSeed(long newSeed) {
        return new FineTuneOptions(steps, learningRate, newSeed, semanticLoss, spatialControl, semanticLossWeight, maskThreshold,
                identityFineTune, maskSteps);
    }
}

package io.s2edit.s2edit.finetune;

import io.s2edit.s2edit.mask.ObjectMaskExtractor;
import java.util.List;

/**
 * Everything that configures identity fine-tuning (§3.1-3.3), with the paper's values as
 * defaults: AdamW lr 2e-6 (betas 0.9/0.999, eps 1e-8, weight decay 1e-2, as DreamBooth's
 * script), gradient-norm clip 1.0, 200 steps, batch 1, λ = 0.1. Build with {@link #builder()}.
 *
 * @param finetune identity fine-tuning on (off: [I] is still added, initialised as
 *     {@code tokenInit} says, but no step is taken; the ablation of Fig. 8)
 * @param semantic add λ·|cos(e_P, e_[I])| to the loss (Eq. 1-2)
 * @param spatial mask [I]'s cross-attention with M_obj during fine-tuning (Eq. 3)
 * @param steps optimisation steps
 * @param learningRate lr of every UNet and text-encoder weight
 * @param tokenLearningRate lr of the new token rows ([I], [A]) of the embedding table. The paper
 *     gives one lr (2e-6), which barely moves a row in 200 steps (Adam moves each weight by
 *     about lr per step); textual-inversion style runs use ~5e-3. Default = 2e-6, the paper.
 * @param beta1 AdamW beta1
 * @param beta2 AdamW beta2
 * @param epsilon AdamW eps
 * @param weightDecay AdamW decoupled weight decay (applied to every trained weight, embedding
 *     rows included, as torch's AdamW over all parameters does)
 * @param maxGradNorm clip the global L2 norm of all gradients to this (torch clip_grad_norm_)
 * @param semanticWeight λ
 * @param semanticTarget which embedding of [I] the semantic loss reads
 * @param tokenInit how a new token row starts
 * @param composition how several training pairs (§3.3) share a step
 * @param renormaliseSpatial renormalise attention rows after masking (not in the paper)
 * @param mask how M_obj is extracted when the pair has no user mask
 * @param seed seeds every random draw (see {@link IdentityFineTuner} for the sequence)
 */
public record FineTuneOptions(boolean finetune, boolean semantic, boolean spatial, int steps, double learningRate,
        double tokenLearningRate, double beta1, double beta2, double epsilon, double weightDecay, double maxGradNorm,
        double semanticWeight, SemanticTarget semanticTarget, TokenInit tokenInit, Composition composition,
        boolean renormaliseSpatial, ObjectMaskExtractor.Options mask, long seed) {

    /**
     * e_[I] in Eq. 1. The paper: "e_[I] is the text embedding of [I]" beside "e_P ... the text
     * embedding of the [CLS] token". We read both from the text encoder's output.
     */
    public enum SemanticTarget {
        /** Default: the final-layer (final-LayerNorm) hidden state at [I]'s position in P~. */
        FINAL_LAYER,
        /** The input embedding: [I]'s row of the token-embedding table. */
        INPUT_EMBEDDING
    }

    /** Initial value of a new token's embedding row. */
    public enum TokenInit {
        /** Default: the object word's row (the mean of its rows if BPE splits it): [I] starts as "lady". */
        OBJECT_WORD,
        /** N(0, σ²) per element, σ = the standard deviation of the whole table, from the seeded generator. */
        RANDOM
    }

    /** How the pairs of compositional editing (§3.3) share a step; one pair needs no choice. */
    public enum Composition {
        /** Default: every step trains on every pair, L = Σ_pairs (L_recons + λ L_semantic), one update. */
        SUM,
        /** Step k trains on pair k mod n only. */
        ALTERNATE
    }

    public FineTuneOptions {
        requireRange("steps", steps, 0, 100_000);
        requireRange("learningRate", learningRate, 0, 1);
        requireRange("tokenLearningRate", tokenLearningRate, 0, 1);
        requireRange("beta1", beta1, 0, 0.999_999);
        requireRange("beta2", beta2, 0, 0.999_999_9);
        requireRange("epsilon", epsilon, 1e-30, 1);
        requireRange("weightDecay", weightDecay, 0, 1);
        requireRange("maxGradNorm", maxGradNorm, 1e-12, 1e12);
        requireRange("semanticWeight", semanticWeight, 0, 1e6);
        if (semanticTarget == null || tokenInit == null || composition == null || mask == null) {
            throw new IllegalArgumentException("semanticTarget " + List.of(SemanticTarget.values()) + ", tokenInit "
                    + List.of(TokenInit.values()) + ", composition " + List.of(Composition.values()) + " and mask options are required");
        }
    }

    private static void requireRange(String name, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
        }
    }

    /** The paper's settings. */
    public static FineTuneOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builder with the paper's defaults. */
    public static final class Builder {
        private boolean finetune = true;
        private boolean semantic = true;
        private boolean spatial = true;
        private int steps = 200;
        private double learningRate = 2e-6;
        private double tokenLearningRate = 2e-6;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private double weightDecay = 1e-2;
        private double maxGradNorm = 1.0;
        private double semanticWeight = 0.1;
        private SemanticTarget semanticTarget = SemanticTarget.FINAL_LAYER;
        private TokenInit tokenInit = TokenInit.OBJECT_WORD;
        private Composition composition = Composition.SUM;
        private boolean renormaliseSpatial;
        private ObjectMaskExtractor.Options mask = ObjectMaskExtractor.Options.defaults();
        private long seed;

        private Builder() {
        }

        private Builder(FineTuneOptions o) {
            finetune = o.finetune;
            semantic = o.semantic;
            spatial = o.spatial;
            steps = o.steps;
            learningRate = o.learningRate;
            tokenLearningRate = o.tokenLearningRate;
            beta1 = o.beta1;
            beta2 = o.beta2;
            epsilon = o.epsilon;
            weightDecay = o.weightDecay;
            maxGradNorm = o.maxGradNorm;
            semanticWeight = o.semanticWeight;
            semanticTarget = o.semanticTarget;
            tokenInit = o.tokenInit;
            composition = o.composition;
            renormaliseSpatial = o.renormaliseSpatial;
            mask = o.mask;
            seed = o.seed;
        }

        public Builder finetune(boolean value) { finetune = value; return this; }
        public Builder semantic(boolean value) { semantic = value; return this; }
        public Builder spatial(boolean value) { spatial = value; return this; }
        public Builder steps(int value) { steps = value; return this; }
        public Builder learningRate(double value) { learningRate = value; return this; }
        public Builder tokenLearningRate(double value) { tokenLearningRate = value; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder epsilon(double value) { epsilon = value; return this; }
        public Builder weightDecay(double value) { weightDecay = value; return this; }
        public Builder maxGradNorm(double value) { maxGradNorm = value; return this; }
        public Builder semanticWeight(double value) { semanticWeight = value; return this; }
        public Builder semanticTarget(SemanticTarget value) { semanticTarget = value; return this; }
        public Builder tokenInit(TokenInit value) { tokenInit = value; return this; }
        public Builder composition(Composition value) { composition = value; return this; }
        public Builder renormaliseSpatial(boolean value) { renormaliseSpatial = value; return this; }
        public Builder mask(ObjectMaskExtractor.Options value) { mask = value; return this; }
        public Builder seed(long value) { seed = value; return this; }

        public FineTuneOptions build() {
            return new FineTuneOptions(finetune, semantic, spatial, steps, learningRate, tokenLearningRate, beta1, beta2,
                    epsilon, weightDecay, maxGradNorm, semanticWeight, semanticTarget, tokenInit, composition,
                    renormaliseSpatial, mask, seed);
        }
    }
}

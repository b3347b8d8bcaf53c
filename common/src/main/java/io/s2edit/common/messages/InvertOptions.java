package io.s2edit.common.messages;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.problems.Require;

/**
 * Null-text inversion under the fine-tuned model (Mokady et al.; Liu et al., Sec. 4).
 *
 * <p>The per-step null embeddings reproduce the image only at the guidance scale and step count
 * they were optimised for, so every edit of this inversion runs with the same {@code steps}
 * and {@code guidance} (the gateway fills and checks them).
 *
 * @param steps    DDIM steps T (paper: 50); at most 100, since the null embedding's learning rate
 *                 1e-2 (1 - i/100) reaches zero at step 100
 * @param guidance classifier-free guidance scale w; default 5.0, the paper finds [3.5, 5.5]
 *                 balances prompt alignment and identity (Fig. 9); accepted range [1, 20]
 * @param innerSteps the most Adam iterations on the null embedding per DDIM step (Mokady et al.,
 *                   Algorithm 1: 10); 0 leaves plain DDIM inversion; accepted range [0, 100].
 *                   A later field of schema version 1: a message without it reads as
 *                   10. Edits need not match it (only steps and guidance)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record InvertOptions(Integer steps, Double guidance, Integer innerSteps) {

    public static final int DEFAULT_STEPS = 50;
    public static final int MAX_STEPS = 100;
    public static final double DEFAULT_GUIDANCE = 5.0;
    public static final int DEFAULT_INNER_STEPS = 10;
    public static final int MAX_INNER_STEPS = 100;

    public InvertOptions {
        steps = Require.between("steps", steps == null ? DEFAULT_STEPS : steps, 1, MAX_STEPS);
        guidance = Require.between("guidance", guidance == null ? DEFAULT_GUIDANCE : guidance, 1.0, 20.0);
        innerSteps = Require.between("inner_steps", innerSteps == null ? DEFAULT_INNER_STEPS : innerSteps, 0, MAX_INNER_STEPS);
    }

    /** The paper's steps and inner steps at S2Edit's guidance. */
    public static InvertOptions defaults() {
        return new InvertOptions(null, null, null);
    }
}

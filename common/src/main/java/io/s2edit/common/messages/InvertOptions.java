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
 * @param steps    DDIM steps T (paper: 50)
 * @param guidance classifier-free guidance scale w; default 5.0, the paper finds [3.5, 5.5]
 *                 balances prompt alignment and identity (Fig. 9); accepted range [1, 20]
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record InvertOptions(Integer steps, Double guidance) {

    public static final int DEFAULT_STEPS = 50;
    public static final double DEFAULT_GUIDANCE = 5.0;

    public InvertOptions {
        steps = Require.between("steps", steps == null ? DEFAULT_STEPS : steps, 1, 1000);
        guidance = Require.between("guidance", guidance == null ? DEFAULT_GUIDANCE : guidance, 1.0, 20.0);
    }

    public static InvertOptions defaults() {
        return new InvertOptions(null, null);
    }
}

package io.s2edit.s2edit.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.unet.AttentionContext;

/**
 * The batch layout of a Prompt-to-Prompt run with classifier-free guidance: P = 1 + k prompts
 * (source first, then the k targets), run as 2P UNet rows {@code [uncond_0 .. uncond_{P-1},
 * cond_0 .. cond_{P-1}]}; prompt p's conditional row is {@code P + p}. Attention probabilities
 * are [2P * h, T, S], batch-major: row {@code b * h + head}. Edits that act per prompt (S2Edit's
 * spatial control on source and target rows) use {@link #conditionalRow(int)}.
 *
 * @param prompts P, at least 2
 */
public record EditBatch(int prompts) {

    public EditBatch {
        if (prompts < 2) {
            throw new IllegalArgumentException("an edit batch needs the source and at least one target, got "
                    + prompts + " prompt(s)");
        }
    }

    /** 2P, the UNet batch. */
    public int size() {
        return 2 * prompts;
    }

    /** k = P - 1. */
    public int targets() {
        return prompts - 1;
    }

    /** UNet batch row of prompt {@code p}'s conditional branch (0 = the source). */
    public int conditionalRow(int prompt) {
        if (prompt < 0 || prompt >= prompts) {
            throw new IllegalArgumentException("prompt index " + prompt + " is outside 0.." + (prompts - 1));
        }
        return prompts + prompt;
    }

    /**
     * The attention probabilities as [2P, h, T, S], after checking they hold this batch.
     *
     * @param probabilities [2P * h, T, S]
     */
    public NDArray split(NDArray probabilities, AttentionContext context) {
        Shape s = probabilities.getShape();
        int heads = context.heads();
        if (s.dimension() != 3 || s.get(0) != (long) size() * heads) {
            throw new IllegalArgumentException("attention " + context.path() + ": expected probabilities ["
                    + size() + " * " + heads + ", T, S] for " + prompts + " prompts with classifier-free guidance"
                    + " ([uncond x P, cond x P] rows, h heads), got " + s);
        }
        return probabilities.reshape(size(), heads, s.get(1), s.get(2)); // [2P, h, T, S]
    }

    /** The conditional half of {@link #split}: [P, h, T, S], source first. */
    public NDArray conditional(NDArray split) {
        return split.get(new NDIndex("{}:", prompts)); // [P, h, T, S]
    }

    /** The unconditional half of {@link #split}: [P, h, T, S]. */
    public NDArray unconditional(NDArray split) {
        return split.get(new NDIndex(":{}", prompts)); // [P, h, T, S]
    }
}

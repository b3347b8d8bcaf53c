package io.s2edit.s2edit.inversion;

import io.s2edit.s2edit.attention.AttentionEdit;
import java.util.List;

/**
 * The attention edits for one UNet call of {@link NullTextInversion}, chosen from what each batch
 * row carries. Inversion calls the UNet with three row layouts - the conditional row alone (DDIM
 * inversion, eps_c), the null-text row alone (the optimised pass) and the guided batch [null-text
 * x B, conditional x B] - so an edit that acts on some rows only, such as S2Edit's spatial control
 * on the rows whose prompt carries [I], must be built per call. {@link NullTextInversion} installs
 * the returned chain around that one call and restores plain attention after it.
 *
 * <p>Implementations should be cheap: they run once per UNet call (N (2 + inner iterations) + N
 * per inversion).
 */
@FunctionalInterface
public interface InversionAttention {

    /** Marks a row that holds the null-text (unconditional) embedding. */
    int NULL_TEXT = -1;

    /**
     * @param rows per batch row, {@link #NULL_TEXT} or the index of its prompt in the conditional
     *     batch (0 when a single prompt is inverted)
     * @return the edits, in chain order; empty for plain attention
     */
    List<AttentionEdit> edits(int[] rows);
}

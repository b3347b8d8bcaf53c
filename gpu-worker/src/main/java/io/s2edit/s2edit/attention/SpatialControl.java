package io.s2edit.s2edit.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.s2edit.common.clip.TokenIds;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.s2edit.mask.ObjectMask;
import java.util.ArrayList;
import java.util.List;

/**
 * S2Edit's spatial control (§3.2, Eq. 3): A*_[I] = A_[I] ⊙ M_obj. In every cross-attention layer
 * the attention probabilities of the special token's column are multiplied by the object mask at
 * that layer's resolution ({@link ObjectMask#at}), in the batch rows whose prompt carries the
 * token; other rows, other columns and self-attention pass unchanged. Used during fine-tuning and
 * inference alike.
 *
 * <p><b>Renormalisation.</b> Eq. 3 multiplies and stops: a query outside the object keeps
 * probabilities that sum to less than 1 (the mass [I] had is dropped). That is the default.
 * {@code renormalise = true} divides each query's row by its new sum afterwards, so the mass is
 * spread over the other tokens; the paper does not do this.
 *
 * <p>Because the mask is binary, [I]'s probability outside the object is exactly 0 (p * 0), and
 * inside exactly p (p * 1) without renormalisation. Gradients flow through the multiplication.
 *
 * <p>Letters: B batch, h heads, T = H*W queries of the layer, S = 77 keys. Stateless once built.
 */
public final class SpatialControl implements AttentionEdit {

    private final ObjectMask mask;
    private final int[][] columnsByRow;
    private final boolean renormalise;

    /**
     * @param mask M_obj
     * @param columnsByRow per batch row, the key positions (token columns) to mask; an empty array
     *     leaves the row unchanged. Its length is the batch size the UNet must run.
     * @param renormalise divide rows by their new sum after masking (not in the paper)
     */
    public SpatialControl(ObjectMask mask, int[][] columnsByRow, boolean renormalise) {
        this.mask = mask;
        this.columnsByRow = new int[columnsByRow.length][];
        for (int b = 0; b < columnsByRow.length; b++) {
            this.columnsByRow[b] = columnsByRow[b].clone();
        }
        this.renormalise = renormalise;
    }

    /**
     * Masks the columns of {@code tokenId} in each row of {@code batch} that contains it (e.g. the
     * conditional rows of a guided batch whose prompts carry [I]; the null-text rows do not).
     */
    public static SpatialControl forPrompts(ObjectMask mask, List<TokenIds> batch, int tokenId, boolean renormalise) {
        int[][] columns = new int[batch.size()][];
        for (int b = 0; b < batch.size(); b++) {
            TokenIds prompt = batch.get(b);
            List<Integer> found = new ArrayList<>();
            for (int i = 0; i < prompt.length(); i++) {
                if (prompt.idAt(i) == tokenId) {
                    found.add(i);
                }
            }
            columns[b] = found.stream().mapToInt(Integer::intValue).toArray();
        }
        return new SpatialControl(mask, columns, renormalise);
    }

    public ObjectMask mask() {
        return mask;
    }

    public boolean renormalise() {
        return renormalise;
    }

    @Override
    public NDArray edit(NDArray probabilities, AttentionContext context) {
        if (!context.crossAttention()) {
            return probabilities;
        }
        int heads = context.heads();
        long rows = probabilities.getShape().get(0);
        long batch = rows / heads;
        int keys = (int) probabilities.getShape().get(2);
        if (batch != columnsByRow.length) {
            throw new IllegalArgumentException("spatial control was built for a batch of " + columnsByRow.length
                    + " prompts, but layer " + context.path() + " runs a batch of " + batch
                    + "; build it from the prompts of exactly this UNet batch (unconditional rows included)");
        }
        // 1. sel [B*h, 1, S]: 1 at (row of a prompt carrying the token, the token's column).
        float[] selected = new float[(int) rows * keys];
        boolean any = false;
        for (int b = 0; b < batch; b++) {
            for (int column : columnsByRow[b]) {
                if (column >= keys) {
                    throw new IllegalArgumentException("token column " + column + " is outside the " + keys + " keys of " + context.path());
                }
                for (int head = 0; head < heads; head++) {
                    selected[(b * heads + head) * keys + column] = 1f;
                    any = true;
                }
            }
        }
        if (!any) {
            return probabilities;
        }
        // 2. M_obj at this layer's resolution, [1, T, 1].
        float[] objectMask = mask.at(context.height(), context.width());
        NDManager manager = probabilities.getManager();
        NDArray sel = manager.create(selected).reshape(rows, 1, keys); // [B*h, 1, S]
        NDArray m = manager.create(objectMask).reshape(1, objectMask.length, 1); // [1, T, 1]
        // 3. multiplier = 1 + sel * (M - 1): M on the token's columns, 1 elsewhere; Eq. 3.
        NDArray multiplier = sel.mul(m.sub(1f)).add(1f).toType(probabilities.getDataType(), false); // [B*h, T, S]
        NDArray masked = probabilities.mul(multiplier);
        return renormalise ? masked.div(masked.sum(new int[] {-1}, true)) : masked;
    }
}

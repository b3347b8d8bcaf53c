package io.s2edit.s2edit.p2p;

import java.util.Arrays;

/**
 * How one target prompt's tokens take the source's cross-attention maps in a refine edit:
 * target token t gets {@code alphas[t] · M_source[mapper[t]] + (1 - alphas[t]) · M_target[t]}
 * (the reference's {@code AttentionRefine.replace_cross_attention}).
 *
 * @param mapper [T] source position per target position; {@link #NEW_TOKEN} (-1, the reference's
 *               value) where the target token has no source counterpart. A gather that cannot
 *               take -1 may use any index there: its alpha is 0
 * @param alphas [T] 1 where the target token takes the source map, 0 where it is new
 */
public record RefineMapping(int[] mapper, float[] alphas) {

    /** {@link #mapper()} value of an inserted target token. */
    public static final int NEW_TOKEN = -1;

    public RefineMapping {
        if (mapper == null || alphas == null || mapper.length != alphas.length) {
            throw new IllegalArgumentException("mapper and alphas must have the same length, got "
                    + (mapper == null ? "null" : mapper.length) + " and " + (alphas == null ? "null" : alphas.length));
        }
        mapper = mapper.clone();
        alphas = alphas.clone();
    }

    /** A copy of the mapper. */
    @Override
    public int[] mapper() {
        return mapper.clone();
    }

    /** A copy of the alphas. */
    @Override
    public float[] alphas() {
        return alphas.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RefineMapping that && Arrays.equals(mapper, that.mapper)
                && Arrays.equals(alphas, that.alphas);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mapper) + Arrays.hashCode(alphas);
    }

    @Override
    public String toString() {
        return "RefineMapping[mapper=" + Arrays.toString(mapper) + ", alphas=" + Arrays.toString(alphas) + "]";
    }
}

package io.s2edit.s2edit.p2p;

import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.clip.TokenIds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Prompt-to-Prompt's prompt refinement (paper §3.2, "adding a new phrase"): aligns the target's
 * token ids with the source's so that kept tokens take the source's cross-attention maps and
 * added tokens keep their own. Mirrors {@code seq_aligner.get_refinement_mapper}.
 *
 * <p>The alignment is Needleman–Wunsch global alignment of the unpadded id sequences, BOS and
 * EOS included, with gap 0, match 1 and mismatch -1. Where scores tie, the cell's move is
 * chosen in the reference's order: left (a target token with no source token) first, then up
 * (a source token with no target token), then diagonal. The traceback from the last cell gives
 * every target token either the source position it is paired with (a match or a mismatch) or
 * {@link RefineMapping#NEW_TOKEN}. Kept from the reference:
 * <ul>
 *   <li>a mismatched pair ({@code "a cat"} to {@code "a dog"}) is usually not paired: with gap 0
 *       a gap on each side scores better than -1, so {@code dog} counts as new;</li>
 *   <li>positions after the target's EOS (the padding) map to the <em>same position</em> in the
 *       source with alpha 1, whatever the source has there; after a deletion that is the source's
 *       last words and EOS.</li>
 * </ul>
 */
public final class RefineMapper {

    static final int GAP = 0;
    static final int MATCH = 1;
    static final int MISMATCH = -1;

    private static final byte LEFT = 1;
    private static final byte UP = 2;
    private static final byte DIAGONAL = 3;

    private RefineMapper() {
    }

    /**
     * The mapping of {@code target}'s T positions onto {@code source}'s.
     *
     * @throws io.s2edit.common.clip.PromptTooLongException if a prompt does not fit
     */
    public static RefineMapping mapping(ClipTokenizer tokenizer, String source, String target) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        TokenIds x = tokenizer.encode(Objects.requireNonNull(source, "source"));
        TokenIds y = tokenizer.encode(Objects.requireNonNull(target, "target"));
        int[] aligned = targetToSource(Arrays.copyOf(x.ids(), x.length()), Arrays.copyOf(y.ids(), y.length()));
        int size = y.size();
        int[] mapper = new int[size];
        float[] alphas = new float[size];
        for (int t = 0; t < size; t++) {
            boolean content = t < aligned.length;
            mapper[t] = content ? aligned[t] : t; // padding: the same position in the source
            alphas[t] = content && aligned[t] == RefineMapping.NEW_TOKEN ? 0f : 1f;
        }
        return new RefineMapping(mapper, alphas);
    }

    /**
     * One mapping per target, all from the same source.
     *
     * @throws IllegalArgumentException if there is no target, or as {@link #mapping}
     */
    public static List<RefineMapping> mappings(ClipTokenizer tokenizer, String source, List<String> targets) {
        Objects.requireNonNull(targets, "targets");
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("refine needs at least one target prompt");
        }
        List<RefineMapping> out = new ArrayList<>(targets.size());
        for (String target : targets) {
            out.add(mapping(tokenizer, source, target));
        }
        return out;
    }

    /**
     * Global alignment of {@code y} against {@code x}: for each element of {@code y}, the index
     * of the element of {@code x} it is paired with, or {@link RefineMapping#NEW_TOKEN}.
     */
    static int[] targetToSource(int[] x, int[] y) {
        byte[][] moves = align(x, y);
        int[] out = new int[y.length];
        int i = x.length;
        int j = y.length;
        while (i > 0 || j > 0) {
            byte move = i == 0 ? LEFT : j == 0 ? UP : moves[i][j];
            if (move == DIAGONAL) {
                out[--j] = --i;
            } else if (move == LEFT) {
                out[--j] = RefineMapping.NEW_TOKEN;
            } else {
                i--; // a source token the target drops
            }
        }
        return out;
    }

    /** The move into each cell of the score matrix (row 0 and column 0 unused). */
    private static byte[][] align(int[] x, int[] y) {
        int[][] score = new int[x.length + 1][y.length + 1]; // [source + 1, target + 1]
        byte[][] moves = new byte[x.length + 1][y.length + 1];
        for (int j = 1; j <= y.length; j++) {
            score[0][j] = j * GAP;
        }
        for (int i = 1; i <= x.length; i++) {
            score[i][0] = i * GAP;
        }
        for (int i = 1; i <= x.length; i++) {
            for (int j = 1; j <= y.length; j++) {
                int left = score[i][j - 1] + GAP;
                int up = score[i - 1][j] + GAP;
                int diagonal = score[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? MATCH : MISMATCH);
                int best = Math.max(left, Math.max(up, diagonal));
                score[i][j] = best;
                moves[i][j] = best == left ? LEFT : best == up ? UP : DIAGONAL;
            }
        }
        return moves;
    }
}

package io.s2edit.s2edit.p2p;

import io.s2edit.common.clip.ClipTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * When each target token's cross-attention map is taken from the source (paper §3.2: the edit
 * is applied for steps t in [T, τ] and the target's own maps are used after). Mirrors
 * {@code ptp_utils.get_time_words_attention_alpha}: a [N + 1, P - 1, T] table of 0/1, read at
 * the current step index (0 = the first, noisiest step), blended as
 * {@code alpha · edited + (1 - alpha) · own} by {@code AttentionControlEdit}.
 *
 * <p>A {@link Window} of fractions [start, end) becomes steps {@code [(int) (start · (N + 1)),
 * (int) (end · (N + 1)))}: the reference rounds down against N + 1 rows, not N, so 0.8 of 50
 * steps is steps 0..39 (40.8 truncated) and 0.8 of 10 steps is 0..7. Every token of every target
 * first gets the global window; then each per-word window, in the map's iteration order,
 * overrides the tokens of that word in the targets that contain it (a later word wins on shared
 * tokens; targets without the word keep the global window).
 *
 * <p>The reference turns a dictionary without a {@code "default_"} entry into a global window of
 * (0, 1), every step; pass {@link Window#ALL} for that. Unlike the reference, a per-word window
 * whose word is in no target, or has no tokens where it is, is an error rather than ignored.
 * Immutable.
 */
public final class CrossReplaceSchedule {

    /** The reference notebooks' cross-replace fraction. */
    public static final double DEFAULT_FRACTION = 0.8;

    /**
     * A fraction of the denoising steps, [start, end), 0 = first (noisiest) step.
     *
     * @param start first fraction replaced, 0..1
     * @param end   fraction where replacing stops, start..1
     */
    public record Window(double start, double end) {

        /** Every step (the reference's default when only per-word windows are given). */
        public static final Window ALL = new Window(0.0, 1.0);

        public Window {
            if (!(start >= 0.0 && start <= end && end <= 1.0)) {
                throw new IllegalArgumentException("a replace window needs 0 <= start <= end <= 1 (fractions of the"
                        + " steps), got start " + start + " and end " + end);
            }
        }

        /** The first {@code end} fraction of the steps: the reference's plain float. */
        public static Window until(double end) {
            return new Window(0.0, end);
        }

        /** First step index replaced, {@code (int) (start · (steps + 1))}. */
        public int startStep(int steps) {
            return (int) (start * (steps + 1));
        }

        /** Step index where replacing stops (exclusive), {@code (int) (end · (steps + 1))}. */
        public int endStep(int steps) {
            return (int) (end * (steps + 1));
        }
    }

    private final int steps;
    private final int tokens;
    private final boolean[][][] replaced; // [N + 1, P - 1, T]

    private CrossReplaceSchedule(int steps, int tokens, boolean[][][] replaced) {
        this.steps = steps;
        this.tokens = tokens;
        this.replaced = replaced;
    }

    /**
     * The reference default: every token replaced for the first {@link #DEFAULT_FRACTION} of the
     * steps.
     */
    public static CrossReplaceSchedule of(ClipTokenizer tokenizer, List<String> targets, int steps) {
        return of(tokenizer, targets, steps, Window.until(DEFAULT_FRACTION), Map.of());
    }

    /**
     * @param targets the target prompts (all prompts but the source, in batch order); only
     *                per-word windows need their words
     * @param steps   N, the number of denoising steps
     * @param global  the window of every token not overridden
     * @param perWord windows for single words ({@link WordIndices#words()} spelling), applied in
     *                the map's iteration order; pass a {@link LinkedHashMap} when words share
     *                tokens
     * @throws IllegalArgumentException if there is no target, steps < 1, a prompt does not fit, a
     *                                  word is in no target, or a word has no tokens
     */
    public static CrossReplaceSchedule of(ClipTokenizer tokenizer, List<String> targets, int steps, Window global,
            Map<String, Window> perWord) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(global, "global");
        Objects.requireNonNull(perWord, "perWord");
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("the cross-replace schedule needs at least one target prompt");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("the cross-replace schedule needs at least 1 denoising step, got " + steps);
        }
        List<WordIndices> prompts = new ArrayList<>(targets.size());
        for (String target : targets) {
            prompts.add(WordIndices.of(tokenizer, target));
        }
        int tokens = tokenizer.maxLength();
        boolean[][][] replaced = new boolean[steps + 1][targets.size()][tokens];
        // 1. The global window for every token of every target.
        int[] all = IntStream.range(0, tokens).toArray();
        for (int p = 0; p < targets.size(); p++) {
            apply(replaced, p, all, global, steps);
        }
        // 2. Per-word windows over the targets that contain the word.
        for (Map.Entry<String, Window> entry : perWord.entrySet()) {
            String word = Objects.requireNonNull(entry.getKey(), "word");
            boolean found = false;
            for (int p = 0; p < prompts.size(); p++) {
                if (prompts.get(p).contains(word)) {
                    apply(replaced, p, prompts.get(p).positionsOf(word), entry.getValue(), steps);
                    found = true;
                }
            }
            if (!found) {
                throw new IllegalArgumentException("per-word cross-replace window for \"" + word + "\", but no target"
                        + " prompt has that word (words are split on single spaces and compared exactly): " + targets);
            }
        }
        return new CrossReplaceSchedule(steps, tokens, replaced);
    }

    private static void apply(boolean[][][] replaced, int target, int[] positions, Window window, int steps) {
        int start = window.startStep(steps);
        int end = window.endStep(steps);
        for (int step = 0; step < replaced.length; step++) {
            boolean on = step >= start && step < end;
            for (int position : positions) {
                replaced[step][target][position] = on;
            }
        }
    }

    /** N, the number of denoising steps (the table has N + 1 rows; the last is never read). */
    public int steps() {
        return steps;
    }

    /** P - 1, the number of target prompts. */
    public int targets() {
        return replaced[0].length;
    }

    /** T, positions per prompt. */
    public int tokens() {
        return tokens;
    }

    /** Whether at step index {@code step} (0..N) target {@code target}'s token takes the edited map. */
    public boolean replaces(int step, int target, int position) {
        return replaced[step][target][position];
    }

    /** The alphas of one target at one step, [T], 1 or 0. */
    public float[] alphas(int step, int target) {
        float[] out = new float[tokens];
        for (int t = 0; t < tokens; t++) {
            out[t] = replaced[step][target][t] ? 1f : 0f;
        }
        return out;
    }

    /** The whole table, [N + 1][P - 1][T], as the reference's tensor (before its reshape). */
    public float[][][] toArray() {
        float[][][] out = new float[steps + 1][targets()][];
        for (int step = 0; step <= steps; step++) {
            for (int p = 0; p < targets(); p++) {
                out[step][p] = alphas(step, p);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "CrossReplaceSchedule[steps=" + steps + ", targets=" + targets() + ", tokens=" + tokens + "]";
    }
}

package io.s2edit.s2edit.finetune;

import io.s2edit.s2edit.mask.ObjectMask;
import java.util.List;
import java.util.Map;

/**
 * What fine-tuning leaves besides the changed model.
 *
 * @param tokens the added tokens in pair order
 * @param masks M_obj per token text ("[I]" -> mask); absent where spatial control was off and no
 *     user mask was given
 * @param log one entry per pair per step
 * @param seconds wall time of the optimisation steps (preparation and masks excluded)
 */
public record FineTuneResult(List<LearnedToken> tokens, Map<String, ObjectMask> masks, List<StepLog> log, double seconds) {

    /**
     * @param text "[I]" or "[A]"
     * @param id its id in the tokenizer and row in the embedding table
     * @param objectWord the word it was initialised from / masked by
     */
    public record LearnedToken(String text, int id, String objectWord) {
    }

    public FineTuneResult {
        tokens = List.copyOf(tokens);
        masks = Map.copyOf(masks);
        log = List.copyOf(log);
    }

    /** Optimisation steps taken. */
    public int steps() {
        return log.stream().mapToInt(StepLog::step).max().orElse(0);
    }

    /** Seconds per optimisation step, or NaN when none was taken. */
    public double secondsPerStep() {
        return steps() == 0 ? Double.NaN : seconds / steps();
    }
}

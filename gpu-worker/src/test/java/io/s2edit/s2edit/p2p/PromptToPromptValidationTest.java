package io.s2edit.s2edit.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.clip.PromptTooLongException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input to the Prompt-to-Prompt pieces fails with a message that names the problem. */
class PromptToPromptValidationTest {

    private static final ClipTokenizer TOKENIZER = P2pReference.tokenizer();
    private static final String SOURCE = "a photo of a [I] lady";
    private static final String TOO_LONG = "a ".repeat(80).trim(); // 82 tokens with BOS and EOS

    @Test
    void replaceNamesBothWordCounts() {
        String message = fails(() -> ReplaceMapper.mapper(TOKENIZER, "a photo of a cat", "a photo of a big cat"));
        assertContains(message, "has 5 words", "has 6", "a photo of a big cat", "refine");
    }

    @Test
    void replaceNamesASwappedWordWithoutTokens() {
        // the empty word between the two spaces takes "cat"'s token and shifts every later word by
        // one token, so the swapped last word ("sofa" / "bed") is left without one (an IndexError
        // in the reference)
        String message = fails(() -> ReplaceMapper.mapper(TOKENIZER, "a  cat on a sofa", "a  cat on a bed"));
        assertContains(message, "\"sofa\"", "has no tokens");
    }

    @Test
    void everyPieceRejectsATooLongPromptNamingItsLength() {
        List<Executable> calls = List.of(
                () -> WordIndices.of(TOKENIZER, TOO_LONG),
                () -> ReplaceMapper.mapper(TOKENIZER, TOO_LONG, TOO_LONG),
                () -> RefineMapper.mapping(TOKENIZER, SOURCE, TOO_LONG),
                () -> RefineMapper.mapping(TOKENIZER, TOO_LONG, SOURCE),
                () -> Equalizer.of(TOKENIZER, TOO_LONG),
                () -> CrossReplaceSchedule.of(TOKENIZER, List.of(TOO_LONG), 50));
        for (Executable call : calls) {
            PromptTooLongException e = assertThrows(PromptTooLongException.class, call);
            assertEquals(82, e.tokenCount());
            assertContains(e.getMessage(), "82 tokens", "77");
        }
    }

    @Test
    void wordNotFoundListsTheWords() {
        WordIndices words = WordIndices.of(TOKENIZER, "a lady, smiling!");
        assertContains(fails(() -> words.positionsOf("lady")), "\"lady\"", "not in prompt", "\"lady,\"",
                "punctuation");
        assertContains(fails(() -> words.positionsOf(3)), "word index 3", "3 words");
        assertContains(fails(() -> words.selection(List.of("dog"))), "\"dog\"", "not in prompt");
        assertContains(fails(() -> words.selection(List.of())), "at least one word");
    }

    @Test
    void wordWithoutTokensSaysWhy() {
        WordIndices words = WordIndices.of(TOKENIZER, "a  cat on a sofa");
        assertContains(fails(() -> words.positionsOf("sofa")), "\"sofa\"", "has no tokens", "double");
    }

    @Test
    void tokensOutrunningTheWordsFailAsTheReferenceDoes() {
        WordIndices words = WordIndices.of(TOKENIZER, "a \ufb01sh"); // ligature cut into three byte tokens
        assertContains(fails(() -> words.positionsOf("a")), "more characters than its words", "get_word_inds fails");
    }

    @Test
    void equalizerNamesMissingWordsAndBadFactors() {
        assertContains(fails(() -> Equalizer.of(TOKENIZER, SOURCE).scale("bangs", 2.0)), "\"bangs\"", SOURCE);
        assertContains(fails(() -> Equalizer.of(TOKENIZER, SOURCE).scale(9, 2.0)), "word index 9", "6 words");
        assertContains(fails(() -> Equalizer.of(TOKENIZER, SOURCE).scale("lady", Double.NaN)), "finite", "NaN");
        assertContains(fails(() -> Equalizer.vector(TOKENIZER, SOURCE, List.of("lady", "[I]"), List.of(2.0))),
                "one factor per word", "2 words", "1 factors");
    }

    @Test
    void scheduleNamesItsProblem() {
        List<String> targets = List.of("a photo of a [I] lady with bangs");
        assertContains(fails(() -> CrossReplaceSchedule.of(TOKENIZER, targets, 50, CrossReplaceSchedule.Window.ALL,
                Map.of("glasses", CrossReplaceSchedule.Window.until(0.4)))), "\"glasses\"", "no target");
        assertContains(fails(() -> CrossReplaceSchedule.of(TOKENIZER, targets, 0)), "at least 1", "got 0");
        assertContains(fails(() -> CrossReplaceSchedule.of(TOKENIZER, List.of(), 50)), "at least one target");
        assertContains(fails(() -> new CrossReplaceSchedule.Window(0.6, 0.2)), "start 0.6", "end 0.2");
        assertContains(fails(() -> CrossReplaceSchedule.Window.until(1.5)), "end 1.5");
    }

    @Test
    void mappersNeedATarget() {
        assertContains(fails(() -> ReplaceMapper.mappers(TOKENIZER, SOURCE, List.of())), "at least one target");
        assertContains(fails(() -> RefineMapper.mappings(TOKENIZER, SOURCE, List.of())), "at least one target");
        assertContains(fails(() -> new RefineMapping(new int[77], new float[76])), "same length", "77", "76");
    }

    private static String fails(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message should contain \"" + part + "\": " + message);
        }
    }
}

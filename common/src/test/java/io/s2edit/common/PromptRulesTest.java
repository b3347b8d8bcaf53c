package io.s2edit.common;

import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.ProblemType;
import io.s2edit.common.prompts.PromptRules;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptRulesTest {

    private static ProblemType typeOf(Runnable r) {
        return assertThrows(InvalidValueException.class, r::run).type();
    }

    @Test
    void identityTokenExactlyOnce() {
        PromptRules.requireIdentityToken("p", "a photo of a [I] lady");
        assertEquals(ProblemType.IDENTITY_TOKEN_MISSING, typeOf(() -> PromptRules.requireIdentityToken("p", "a photo of a lady")));
        assertEquals(ProblemType.IDENTITY_TOKEN_REPEATED, typeOf(() -> PromptRules.requireIdentityToken("p", "[I] and [I]")));
        // the engine's tokenizer matches added tokens in any case: [i] is [I]
        PromptRules.requireIdentityToken("p", "a [i] lady");
        assertEquals(ProblemType.IDENTITY_TOKEN_REPEATED, typeOf(() -> PromptRules.requireIdentityToken("p", "a [I] and a [i]")));
    }

    @Test
    void objectWordIsAWholeWordExactlyOnce() {
        PromptRules.requireWordOnce("p", "a photo of a [I] Lady.", "w", "lady");
        assertEquals(ProblemType.OBJECT_WORD_NOT_IN_PROMPT,
                typeOf(() -> PromptRules.requireWordOnce("p", "a photo of a [I] woman", "w", "man")));
        assertEquals(ProblemType.OBJECT_WORD_NOT_IN_PROMPT,
                typeOf(() -> PromptRules.requireWordOnce("p", "a photo of a [I] mannequin", "w", "man")));
        assertEquals(ProblemType.OBJECT_WORD_REPEATED,
                typeOf(() -> PromptRules.requireWordOnce("p", "a [I] dog next to a dog", "w", "dog")));
        assertEquals(ProblemType.INVALID_VALUE, typeOf(() -> PromptRules.requireWordOnce("p", "a [I] red dog", "w", "red dog")));
        // the "I" inside the identity token is not a word of the prompt
        assertEquals(ProblemType.OBJECT_WORD_NOT_IN_PROMPT, typeOf(() -> PromptRules.requireWordOnce("p", "a [I] dog", "w", "I")));
    }

    @Test
    void clipLowerBoundCountsPreTokenizerPieces() {
        // "a photo of a [I] lady" -> a | photo | of | a | [I] | lady = 6 pieces + BOS + EOS
        assertEquals(8, PromptRules.minimumClipTokens("a photo of a [I] lady"));
        assertEquals(8, PromptRules.minimumClipTokens("a photo of a [i] lady"));
        // digits are one piece each, punctuation runs one piece, contractions one piece
        assertEquals(2 + 3 + 1 + 2, PromptRules.minimumClipTokens("123 !!! it's"));
        // non-ASCII and entities are dropped, which can only lower the count
        assertEquals(2 + 1, PromptRules.minimumClipTokens("caf\u00e9"));
        assertEquals(2 + 1, PromptRules.minimumClipTokens("a&amp;b"));
    }

    @Test
    void refusesOnlyPromptsCertainlyOverTheLimit() {
        String words75 = "a ".repeat(74) + "[I]";           // 75 pieces + 2 = 77: may fit
        PromptRules.requireFitsClip("p", words75);
        String words76 = "a ".repeat(75) + "[I]";           // 76 + 2 = 78: cannot fit
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> PromptRules.requireFitsClip("p", words76));
        assertEquals(ProblemType.PROMPT_TOO_LONG, e.type());
        assertTrue(e.getMessage().contains("at least 78"), e.getMessage());
    }
}

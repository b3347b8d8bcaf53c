package io.s2edit.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.s2edit.common.prompts.PromptRules;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact CLIP length rule at submission: the test profile points {@code s2edit.tokenizer.dir}
 * at the committed CLIP ViT-L/14 tokenizer (gpu-worker's {@code reference/tiny/tokenizer}), so
 * prompts whose lower bound passes but whose BPE count is over 77 are a 422 naming the field and
 * the count. A long word makes them: BPE cuts {@link #LONG_WORD} into 14 tokens, the lower bound
 * counts it once.
 */
@QuarkusTest
class PromptLengthTest {

    /** 14 CLIP tokens, one pre-tokenizer piece. */
    private static final String LONG_WORD = " pneumonoultramicroscopicsilicovolcanoconiosis";
    /** 81 tokens with BOS and EOS: 8 + 5 x 14 + 3. */
    private static final String SOURCE_81 = Fixtures.PROMPT + LONG_WORD.repeat(5) + " in the rain";
    /** 77 tokens exactly: 8 + 4 x 14 + 9 (supercalifragilisticexpialidocious) + 4; [I] counts once. */
    private static final String SOURCE_77 = Fixtures.PROMPT + LONG_WORD.repeat(4)
            + " supercalifragilisticexpialidocious with a red hat";

    private static void tooLong(io.restassured.response.Response r, String field, int tokens) {
        r.then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:s2edit:problem:prompt-too-long"))
                .body("field", equalTo(field))
                .body("detail", containsString(field + " is " + tokens + " CLIP tokens"))
                .body("detail", containsString("more than the text encoder's 77"));
    }

    @Test
    void theLowerBoundAloneWouldPassThesePrompts() {
        // else the tests below would pass without the exact count
        assertTrue(PromptRules.minimumClipTokens(SOURCE_81) <= PromptRules.CLIP_MAX_TOKENS);
        assertTrue(PromptRules.minimumClipTokens(SOURCE_77) <= PromptRules.CLIP_MAX_TOKENS);
    }

    @Test
    void sourcePromptOverTheExactCountIsRefused() {
        Map<String, String> f = Fixtures.fields();
        f.put("source_prompt", SOURCE_81);
        tooLong(Fixtures.postIdentity(f, Fixtures.png(16, 16, 41)), "source_prompt", 81);
    }

    @Test
    void sourcePromptOfExactly77IsAccepted() {
        Map<String, String> f = Fixtures.fields();
        f.put("source_prompt", SOURCE_77);
        Fixtures.postIdentity(f, Fixtures.png(16, 16, 42)).then().statusCode(202)
                .body("jobs[0].kind", equalTo("finetune"));
    }

    @Test
    void targetPromptOverTheExactCountIsRefused() {
        Map<String, String> f = Fixtures.fields();
        f.put("invert", "{}");
        f.put("edits", "[{\"target_prompts\": [\"a photo of a [I] lady with bangs\", \"a photo of a [I] lady with bangs"
                + LONG_WORD.repeat(5) + "\"]}]");
        tooLong(Fixtures.postIdentity(f, Fixtures.png(16, 16, 43)), "edits[0].target_prompts[1]", 80);
    }

    @Test
    void referencePromptOverTheExactCountIsRefused() {
        Map<String, String> f = Fixtures.fields();
        f.put("reference_prompt", "a photo of a [A] hat" + LONG_WORD.repeat(5) + " in the rain");
        f.put("attribute_word", "hat");
        tooLong(Fixtures.multipart(f, "image", Fixtures.png(16, 16, 44))
                .multiPart("reference", "ref.png", Fixtures.png(16, 16, 45), "image/png")
                .post("/v1/compositions"), "reference_prompt", 81);
    }
}

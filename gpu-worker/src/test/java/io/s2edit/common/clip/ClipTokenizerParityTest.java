package io.s2edit.common.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Exact parity with transformers 5's {@code CLIPTokenizer} (with {@code [I]}, {@code [A]} added)
 * on the reference battery {@code /reference/tokenizer-cases.json}: every prompt is its own test;
 * ids must match exactly; too-long prompts must be rejected naming their token count.
 */
class ClipTokenizerParityTest {

    private static final ClipTokenizer TOKENIZER = ReferenceTokenizer.withIdentityTokens();

    @TestFactory
    Stream<DynamicTest> matchesReferenceIds() throws IOException {
        List<JsonNode> cases = readCases();
        assertTrue(cases.size() > 0, "the reference battery has no cases");
        return cases.stream().map(c -> DynamicTest.dynamicTest(displayName(c.path("prompt").asText()), () -> check(c)));
    }

    private static void check(JsonNode c) {
        String prompt = c.path("prompt").asText();
        if (c.path("too_long").asBoolean(false)) {
            int numTokens = c.path("num_tokens").asInt();
            PromptTooLongException e = assertThrows(PromptTooLongException.class, () -> TOKENIZER.encode(prompt));
            assertTrue(e.getMessage().contains(String.valueOf(numTokens)),
                    "message should name " + numTokens + " tokens: " + e.getMessage());
            assertEquals(numTokens, e.tokenCount());
            assertEquals(numTokens, TOKENIZER.tokenCount(prompt));
            return;
        }
        int[] expected = toInts(c.path("ids"));
        TokenIds actual = TOKENIZER.encode(prompt);
        assertArrayEquals(expected, actual.ids(), () -> "ids differ; got " + actual);
        assertEquals(actual.length(), TOKENIZER.tokenCount(prompt));
    }

    /** The battery is either a bare list of cases or an object with a {@code cases} list. */
    private static List<JsonNode> readCases() throws IOException {
        JsonNode root = new ObjectMapper().readTree(ReferenceTokenizer.resource(ReferenceTokenizer.CASES).toFile());
        JsonNode list = root.isArray() ? root : root.path("cases");
        List<JsonNode> cases = new ArrayList<>();
        list.forEach(cases::add);
        return cases;
    }

    private static int[] toInts(JsonNode array) {
        int[] ints = new int[array.size()];
        for (int i = 0; i < ints.length; i++) {
            ints[i] = array.get(i).asInt();
        }
        return ints;
    }

    /** The prompt with control characters escaped, shortened to fit a report line. */
    private static String displayName(String prompt) {
        StringBuilder name = new StringBuilder("\"");
        prompt.codePoints().limit(60).forEach(cp -> {
            if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT) {
                name.append(String.format("\\u%04x", cp));
            } else {
                name.appendCodePoint(cp);
            }
        });
        name.append(prompt.codePointCount(0, prompt.length()) > 60 ? "...\"" : "\"");
        return name.toString();
    }
}

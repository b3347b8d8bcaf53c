package io.s2edit.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Without {@code s2edit.tokenizer.dir} the gateway keeps the lower bound: a prompt over 77 BPE
 * tokens but few pre-tokenizer pieces passes (the worker refuses it later), one with more than
 * 77 pieces is still a 422.
 */
@QuarkusTest
@TestProfile(PromptLowerBoundTest.NoTokenizer.class)
class PromptLowerBoundTest {

    /** The test profile with the tokenizer folder unset. */
    public static class NoTokenizer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("s2edit.tokenizer.dir", "");
        }
    }

    @Test
    void exactCountIsOffLowerBoundStillRefuses() {
        Map<String, String> f = Fixtures.fields();
        f.put("source_prompt", Fixtures.PROMPT + " pneumonoultramicroscopicsilicovolcanoconiosis".repeat(5) + " in the rain");
        Fixtures.postIdentity(f, Fixtures.png(16, 16, 51)).then().statusCode(202);
        f.put("source_prompt", Fixtures.PROMPT + " with a hat".repeat(30));
        Fixtures.postIdentity(f, Fixtures.png(16, 16, 52)).then().statusCode(422)
                .body("type", equalTo("urn:s2edit:problem:prompt-too-long"))
                .body("detail", containsString("source_prompt has at least 98 CLIP tokens"));
    }
}

package io.s2edit.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Each bad request gets its own status and RFC 9457 problem type, with a detail that teaches. */
@QuarkusTest
class BadInputTest {

    private static final String P = "urn:s2edit:problem:";

    private static ValidatableResponse problem(ValidatableResponse r, int status, String slug, String field, String detail) {
        return r.statusCode(status)
                .contentType("application/problem+json")
                .body("type", equalTo(P + slug))
                .body("status", equalTo(status))
                .body("field", equalTo(field))
                .body("detail", containsString(detail));
    }

    @Test
    void notAnImage() {
        problem(Fixtures.multipart(Fixtures.fields(), "image", "just some text, not pixels".getBytes())
                .post("/v1/identities").then(), 422, "not-an-image", "image", "not a supported image");
    }

    @Test
    void truncatedPngIsNotAnImage() {
        byte[] png = Fixtures.png(32, 32, 1);
        byte[] cut = java.util.Arrays.copyOf(png, 40);
        problem(Fixtures.multipart(Fixtures.fields(), "image", cut).post("/v1/identities").then(),
                422, "not-an-image", "image", "cannot be decoded");
    }

    @Test
    void emptyFile() {
        problem(Fixtures.multipart(Fixtures.fields(), "image", new byte[0]).post("/v1/identities").then(),
                422, "empty-file", "image", "is empty");
    }

    @Test
    void oversizedImage() {
        // the test limit is 256 KiB (s2edit.uploads.max-image-bytes); random pixels do not compress
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(400, 400, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(1);
        for (int y = 0; y < 400; y++) {
            for (int x = 0; x < 400; x++) {
                img.setRGB(x, y, rnd.nextInt());
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            javax.imageio.ImageIO.write(img, "png", out);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        problem(Fixtures.multipart(Fixtures.fields(), "image", out.toByteArray()).post("/v1/identities").then(),
                413, "image-too-large", "image", "the limit is 262144");
    }

    @Test
    void missingImage() {
        problem(Fixtures.multipart(Fixtures.fields(), "image", null).post("/v1/identities").then(),
                400, "missing-field", "image", "image is required");
    }

    @Test
    void promptWithoutIdentityToken() {
        Map<String, String> f = Fixtures.fields();
        f.put("source_prompt", "a photo of a lady");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 2)).then(), 422, "identity-token-missing", "source_prompt",
                "exactly once");
    }

    @Test
    void objectWordNotInPrompt() {
        Map<String, String> f = Fixtures.fields();
        f.put("object_word", "man");
        f.put("source_prompt", "a photo of a [I] woman");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 3)).then(), 422, "object-word-not-in-prompt", "object_word",
                "must appear as a whole word");
    }

    @Test
    void promptOverClipLimit() {
        Map<String, String> f = Fixtures.fields();
        f.put("source_prompt", "a photo of a [I] lady" + " with a hat".repeat(30));
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 4)).then(), 422, "prompt-too-long", "source_prompt",
                "more than the text encoder's 77");
    }

    @Test
    void targetPromptWithoutIdentityTokenInEditsPart() {
        Map<String, String> f = Fixtures.fields();
        f.put("invert", "{}");
        f.put("edits", "[{\"target_prompts\": [\"a photo of a lady with bangs\"]}]");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 5)).then(), 422, "identity-token-missing",
                "edits[0].target_prompts[0]", "exactly once");
    }

    @Test
    void badValueInALaterEditNamesItsElement() {
        Map<String, String> f = Fixtures.fields();
        f.put("invert", "{}");
        f.put("edits", "[{\"target_prompts\": [\"a photo of a [I] lady with bangs\"]},"
                + " {\"target_prompts\": [\"a photo of a [I] lady with a hat\"], \"steps\": 0}]");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 7)).then(), 422, "invalid-value", "edits[1].steps",
                "steps must be between 1 and 100, got 0");
    }

    @Test
    void malformedJsonPart() {
        Map<String, String> f = Fixtures.fields();
        f.put("options", "{\"steps\": 10,");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 6)).then(), 400, "malformed-json", "options",
                "not valid JSON in part \"options\"");
    }

    @Test
    void unknownOptionIsRefused() {
        Map<String, String> f = Fixtures.fields();
        f.put("options", "{\"step\": 10}");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 7)).then(), 422, "invalid-value", "options.step",
                "unknown field \"step\"");
    }

    @Test
    void optionOutOfRange() {
        Map<String, String> f = Fixtures.fields();
        f.put("options", "{\"steps\": 0}");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 8)).then(), 422, "invalid-value", "options.steps",
                "between 1 and 5000");
    }

    @Test
    void stepCountsOutOfRange() {
        Map<String, String> f = Fixtures.fields();
        f.put("options", "{\"mask_steps\": 0}");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 8)).then(), 422, "invalid-value", "options.mask_steps",
                "mask_steps must be between 1 and 1000, got 0");
        f.put("options", "{\"mask_steps\": \"many\"}");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 8)).then(), 422, "invalid-value", "options.mask_steps",
                "wrong type");
        f.remove("options");
        f.put("invert", "{\"inner_steps\": 101}");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 8)).then(), 422, "invalid-value", "invert.inner_steps",
                "inner_steps must be between 0 and 100, got 101");
        problem(given().contentType(ContentType.JSON).body("{\"options\": {\"inner_steps\": -1}}")
                .post("/v1/identities/" + UUID.randomUUID() + "/inversions").then(), 422, "invalid-value",
                "options.inner_steps", "inner_steps must be between 0 and 100, got -1");
    }

    @Test
    void editGuidanceMustMatchInversion() {
        Map<String, String> f = Fixtures.fields();
        f.put("invert", "{\"guidance\": 4.0}");
        f.put("edits", "[{\"target_prompts\": [\"a photo of a [I] lady with bangs\"], \"guidance\": 7.5}]");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 9)).then(), 422, "invalid-value", "edits[0].guidance",
                "optimised for guidance 4.0");
    }

    @Test
    void webhookToPrivateAddressIsRefused() {
        Map<String, String> f = Fixtures.fields();
        f.put("webhook", "http://169.254.169.254/latest/meta-data");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 10)).then(), 422, "webhook-url-refused", "webhook",
                "non-public address");
        f.put("webhook", "file:///etc/passwd");
        problem(Fixtures.postIdentity(f, Fixtures.png(16, 16, 10)).then(), 422, "webhook-url-refused", "webhook",
                "http or https");
    }

    @Test
    void unknownJob() {
        UUID id = UUID.randomUUID();
        problem(given().get("/v1/jobs/" + id).then(), 404, "job-not-found", "id", id.toString());
        problem(given().post("/v1/jobs/" + id + "/cancel").then(), 404, "job-not-found", "id", id.toString());
        problem(given().get("/v1/jobs/" + id + "/outputs/0.png").then(), 404, "job-not-found", "id", id.toString());
    }

    @Test
    void unknownIdentity() {
        UUID id = UUID.randomUUID();
        problem(given().contentType(ContentType.JSON).body("{}").post("/v1/identities/" + id + "/inversions").then(),
                404, "identity-not-found", "id", id.toString());
    }

    @Test
    void malformedJsonBody() {
        problem(given().contentType(ContentType.JSON).body("{\"options\": ").post("/v1/identities/" + UUID.randomUUID() + "/edits")
                .then(), 400, "malformed-json", null, "not valid JSON");
        problem(given().contentType(ContentType.JSON).body("{\"options\": {\"target_prompts\": \"not a list\"}}")
                .post("/v1/identities/" + UUID.randomUUID() + "/edits").then(), 422, "invalid-value", "options.target_prompts",
                "wrong type");
    }

    @Test
    void wrongContentType() {
        given().contentType(ContentType.TEXT).body("hello").post("/v1/identities").then()
                .statusCode(415).contentType("application/problem+json")
                .body("type", equalTo(P + "unsupported-media-type"));
    }

    @Test
    void badListQuery() {
        problem(given().queryParam("status", "sleeping").get("/v1/jobs").then(), 422, "invalid-value", "status",
                "is not one of");
    }
}

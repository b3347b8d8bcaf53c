package io.s2edit.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.Topics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Compositions, the job resource's shape, and Quarkus' OpenAPI, health and metrics endpoints. */
@QuarkusTest
class ApiSurfaceTest {

    @Test
    void compositionFineTunesWithTheReference() {
        var f = Fixtures.fields();
        f.put("reference_prompt", "a photo of [A] makeup");
        f.put("attribute_word", "makeup");
        f.put("options", "{\"steps\": 300, \"seed\": 7, \"semantic_loss\": false}");
        String id = Fixtures.multipart(f, "image", Fixtures.png(24, 24, 91))
                .multiPart("reference", "ref.jpg", Fixtures.png(24, 24, 92), "image/png")
                .post("/v1/compositions").then().statusCode(202)
                .header("Location", containsString("/v1/jobs/"))
                .body("jobs[0].kind", equalTo("finetune"))
                .body("jobs[0].input.composition.attribute_word", equalTo("makeup"))
                .extract().path("jobs[0].id");
        FineTuneJob job = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(id), FineTuneJob.class, Duration.ofSeconds(30));
        assertEquals(ArtifactKeys.reference(job.identityId()), job.composition().referenceImageKey());
        assertEquals(300, job.options().steps());
        assertEquals(7L, job.options().seed());
        assertEquals(false, job.options().semanticLoss());
        assertNull(job.maskKey());
    }

    @Test
    void compositionNeedsItsReferencePrompt() {
        var f = Fixtures.fields();
        f.put("reference_prompt", "a photo of makeup");
        f.put("attribute_word", "makeup");
        Fixtures.multipart(f, "image", Fixtures.png(24, 24, 93))
                .multiPart("reference", "ref.png", Fixtures.png(24, 24, 94), "image/png")
                .post("/v1/compositions").then().statusCode(422)
                .body("field", equalTo("reference_prompt"))
                .body("detail", containsString("[A]"));
    }

    @Test
    void jobResourceLooksLikeAPrediction() {
        Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(24, 24, 95)).then().statusCode(202)
                .header("Location", containsString("/v1/jobs/"))
                .body("identity_id", org.hamcrest.Matchers.notNullValue())
                .body("jobs[0]", hasKey("created_at"))
                .body("jobs[0]", hasKey("started_at"))
                .body("jobs[0]", hasKey("completed_at"))
                .body("jobs[0]", hasKey("metrics"))
                .body("jobs[0]", hasKey("error"))
                .body("jobs[0].status", equalTo("queued"))
                .body("jobs[0].attempt", equalTo(1))
                .body("jobs[0].urls.cancel", containsString("/cancel"))
                .body("jobs[0].urls.stream", containsString("/events"))
                .body("jobs[0].input.source_prompt", equalTo(Fixtures.PROMPT))
                .body("jobs[0].input.options.steps", equalTo(200));
    }

    @Test
    void openApiHealthAndMetrics() {
        given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .body("paths", hasKey("/v1/identities"))
                .body("paths", hasKey("/v1/jobs/{id}/events"))
                .body("paths", hasKey("/v1/compositions"))
                .body("components.schemas.InvertOptions.properties", hasKey("inner_steps"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(24, 24, 96)).then().statusCode(202);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("s2edit_jobs_created_total{kind=\"finetune\""))
                .body(containsString("s2edit_outbox_pending"));
    }
}

package io.s2edit.gateway;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.EditJob;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.InvertJob;
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.messages.Topics;
import io.s2edit.gateway.outbox.OutboxEntity;
import io.s2edit.testsupport.S3TestResource;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Worker events (published on s2edit.job-events like a worker would) drive the job rows: the
 * chain is released step by step, a failure ends the children, and events for jobs that have
 * ended or for old attempts change nothing.
 */
@QuarkusTest
class JobEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static ValidatableResponse job(Object id) {
        return given().get("/v1/jobs/" + id).then().statusCode(200);
    }

    private static void awaitStatus(Object id, String status) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> status.equals(given().get("/v1/jobs/" + id).then().extract().path("status")));
    }

    @Test
    void chainIsReleasedStepByStepAndOutputsDownload() {
        Map<String, String> f = Fixtures.fields();
        f.put("options", "{\"mask_steps\": 3}");
        f.put("invert", "{\"steps\": 10, \"inner_steps\": 2}");
        f.put("edits", "[{\"target_prompts\": [\"a photo of a [I] lady with bangs\", \"a photo of a [I] lady smiling\"]}]");
        List<String> ids = Fixtures.postIdentity(f, Fixtures.png(32, 32, 31)).then().statusCode(202)
                .body("jobs.kind", equalTo(List.of("finetune", "invert", "edit")))
                .body("jobs[1].waiting", equalTo(true))
                .extract().jsonPath().getList("jobs.id");
        UUID ft = UUID.fromString(ids.get(0));
        UUID inv = UUID.fromString(ids.get(1));
        UUID edit = UUID.fromString(ids.get(2));
        // only the fine-tune is released; its children wait in the database, not in Kafka
        assertEquals(0L, (long) QuarkusTransaction.requiringNew().call(() -> OutboxEntity.count("jobId in ?1", List.of(inv, edit))));

        FineTuneJob ftJob = Worker.awaitJob(Topics.FINETUNE, ft, FineTuneJob.class, WAIT);
        assertEquals(3, ftJob.options().maskSteps());
        assertEquals(200, ftJob.options().steps(), "the other options keep the paper's values");
        Worker.send(JobEvent.started(ftJob), JobEvent.progress(ftJob, 100, 200, "finetune"));
        await().atMost(WAIT).until(() -> Integer.valueOf(100).equals(given().get("/v1/jobs/" + ft).then().extract().path("progress.step")));
        job(ft).body("status", equalTo("running")).body("started_at", notNullValue()).body("progress.stage", equalTo("finetune"));
        Worker.send(JobEvent.succeeded(ftJob, List.of(ArtifactKeys.tokenEmbeddings(ftJob.identityId(), ft),
                ArtifactKeys.weightDelta(ftJob.identityId(), ft)), Map.of("predict_time", 95.0)));
        awaitStatus(ft, "succeeded");
        job(ft).body("metrics.predict_time", equalTo(95.0f)).body("completed_at", notNullValue())
                .body("outputs.'weight-delta.safetensors'", equalTo("/v1/jobs/" + ft + "/outputs/weight-delta.safetensors"));

        // the inversion is released now, with the fine-tune's id and the chain's options
        InvertJob invJob = Worker.awaitJob(Topics.INVERT, inv, InvertJob.class, WAIT);
        assertEquals(ft, invJob.fineTuneJobId());
        assertEquals(10, invJob.options().steps());
        assertEquals(2, invJob.options().innerSteps());
        job(inv).body("input.options.inner_steps", equalTo(2));
        job(inv).body("waiting", equalTo(false));
        Worker.send(JobEvent.started(invJob),
                JobEvent.succeeded(invJob, List.of(ArtifactKeys.latents(invJob.identityId(), inv)), Map.of()));
        awaitStatus(inv, "succeeded");

        EditJob editJob = Worker.awaitJob(Topics.EDIT, edit, EditJob.class, WAIT);
        assertEquals(inv, editJob.inversionJobId());
        assertEquals(10, editJob.options().steps());
        assertEquals(5.0, editJob.options().guidance());

        // a later edit of the same identity is released at once, with the inversion's steps and guidance
        String identity = editJob.identityId().toString();
        String later = given().contentType("application/json")
                .body("{\"options\": {\"target_prompts\": [\"a photo of a [I] lady wearing glasses\"], \"seed\": 3}}")
                .post("/v1/identities/" + identity + "/edits").then().statusCode(202)
                .body("jobs[0].parent_id", equalTo(inv.toString()))
                .body("jobs[0].waiting", equalTo(false))
                .extract().path("jobs[0].id");
        EditJob laterJob = Worker.awaitJob(Topics.EDIT, UUID.fromString(later), EditJob.class, WAIT);
        assertEquals(10, laterJob.options().steps());
        assertEquals(3L, laterJob.options().seed());
        assertEquals(ft, laterJob.fineTuneJobId());
        given().contentType("application/json")
                .body("{\"options\": {\"target_prompts\": [\"a photo of a [I] lady\"], \"steps\": 50}}")
                .post("/v1/identities/" + identity + "/edits").then().statusCode(422)
                .body("field", equalTo("options.steps"));

        // the worker writes the images, then reports them; the gateway streams them back
        byte[] png0 = Fixtures.png(32, 32, 77);
        try (S3Client s3 = s3()) {
            s3.putObject(r -> r.bucket(S3TestResource.BUCKET).key(ArtifactKeys.editImage(editJob.identityId(), edit, 0)),
                    RequestBody.fromBytes(png0));
        }
        Worker.send(JobEvent.started(editJob), JobEvent.succeeded(editJob, List.of(
                ArtifactKeys.editImage(editJob.identityId(), edit, 0), ArtifactKeys.editImage(editJob.identityId(), edit, 1)), Map.of()));
        awaitStatus(edit, "succeeded");
        byte[] downloaded = given().get("/v1/jobs/" + edit + "/outputs/0.png").then().statusCode(200)
                .contentType("image/png").extract().asByteArray();
        assertArrayEquals(png0, downloaded);
        given().get("/v1/jobs/" + edit + "/outputs/9.png").then().statusCode(404)
                .body("type", equalTo("urn:s2edit:problem:output-not-found"));
        // the stored source is the uploaded PNG
        given().get("/v1/identities/" + editJob.identityId() + "/source").then().statusCode(200).contentType("image/png");
        given().get("/v1/identities/" + editJob.identityId()).then().statusCode(200)
                .body("jobs.size()", equalTo(4)).body("object_word", equalTo("lady"));
    }

    @Test
    void failedParentFailsItsChildrenWithTheReason() {
        Map<String, String> f = Fixtures.fields();
        f.put("invert", "{}");
        f.put("edits", "[{\"target_prompts\": [\"a photo of a [I] lady with bangs\"]}]");
        List<String> ids = Fixtures.postIdentity(f, Fixtures.png(32, 32, 32)).then().statusCode(202)
                .extract().jsonPath().getList("jobs.id");
        FineTuneJob ftJob = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(ids.get(0)), FineTuneJob.class, WAIT);
        Worker.send(JobEvent.started(ftJob), JobEvent.failed(ftJob, "prompt has 81 CLIP tokens, more than 77"));
        awaitStatus(ids.get(0), "failed");
        job(ids.get(0)).body("error.reason", equalTo("prompt has 81 CLIP tokens, more than 77"));
        for (String child : ids.subList(1, 3)) {
            job(child).body("status", equalTo("failed"))
                    .body("error.reason", containsString("prompt has 81 CLIP tokens"))
                    .body("completed_at", notNullValue());
        }
        // a new inversion of this identity has no fine-tune to stand on
        given().contentType("application/json").body("{}").post("/v1/identities/" + ftJob.identityId() + "/inversions")
                .then().statusCode(409).body("type", equalTo("urn:s2edit:problem:parent-not-usable"));
    }

    @Test
    void eventsForEndedJobsAndOldAttemptsAreIgnored() {
        String id = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(32, 32, 33)).then().statusCode(202)
                .extract().path("jobs[0].id");
        FineTuneJob ftJob = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(id), FineTuneJob.class, WAIT);
        Worker.send(JobEvent.started(ftJob), JobEvent.succeeded(ftJob, List.of(), Map.of("predict_time", 1.0)));
        awaitStatus(id, "succeeded");
        String completedAt = job(id).extract().path("completed_at");

        // a redelivered run reports again: progress, then failure; an old attempt and garbage too
        Worker.sendRaw(ftJob.key(), "{ not an event");
        Worker.send(JobEvent.progress(ftJob, 5, 200, "finetune"), JobEvent.failed(ftJob, "late failure"),
                JobEvent.failed(ftJob.withAttempt(1), "same attempt, still late"));
        // a marker event on another job proves the consumer got past the events above
        String marker = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(32, 32, 34)).then().statusCode(202)
                .extract().path("jobs[0].id");
        FineTuneJob markerJob = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(marker), FineTuneJob.class, WAIT);
        Worker.send(JobEvent.started(markerJob));
        awaitStatus(marker, "running");

        job(id).body("status", equalTo("succeeded"))
                .body("progress", nullValue())
                .body("error", nullValue())
                .body("completed_at", equalTo(completedAt))
                .body("metrics.predict_time", equalTo(1.0f));
    }

    @Test
    void cancelIsAnnouncedToWorkersOnlyForReleasedJobsAndTheirCanceledEventChangesNothing() {
        Map<String, String> f = Fixtures.fields();
        f.put("invert", "{}");
        List<String> ids = Fixtures.postIdentity(f, Fixtures.png(32, 32, 36)).then().statusCode(202)
                .extract().jsonPath().getList("jobs.id");
        UUID ft = UUID.fromString(ids.get(0));
        UUID inv = UUID.fromString(ids.get(1));
        FineTuneJob ftJob = Worker.awaitJob(Topics.FINETUNE, ft, FineTuneJob.class, WAIT);
        Worker.send(JobEvent.started(ftJob));
        awaitStatus(ft, "running");

        given().post("/v1/jobs/" + ft + "/cancel").then().statusCode(200).body("status", equalTo("canceled"));
        JobCancel cancel = Worker.awaitCancel(ft, WAIT);
        assertEquals(ftJob.identityId(), cancel.identityId());
        assertEquals(JobKind.FINETUNE, cancel.kind());
        assertEquals("canceled by request", cancel.reason());
        String completedAt = job(ft).extract().path("completed_at");
        // the same instant (the database keeps microseconds)
        assertTrue(Duration.between(java.time.Instant.parse(completedAt), cancel.canceledAt()).abs().toNanos() < 1000,
                completedAt + " vs " + cancel.canceledAt());
        // the waiting inversion never reached Kafka: canceled here, nothing to announce
        job(inv).body("status", equalTo("canceled"));
        assertEquals(0L, (long) QuarkusTransaction.requiringNew().call(() -> OutboxEntity.count("jobId", inv)));

        // the worker stops and says so; the job has ended here already
        Worker.send(JobEvent.progress(ftJob, 3, 200, "finetune"),
                JobEvent.canceled(ftJob, "canceled by request; stopped after finetune step 3/200"));
        String marker = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(32, 32, 37)).then().statusCode(202)
                .extract().path("jobs[0].id");
        FineTuneJob markerJob = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(marker), FineTuneJob.class, WAIT);
        Worker.send(JobEvent.started(markerJob));
        awaitStatus(marker, "running");
        job(ft).body("status", equalTo("canceled")).body("error.reason", equalTo("canceled by request"))
                .body("progress", nullValue()).body("completed_at", equalTo(completedAt));
    }

    @Test
    void staleAttemptIsIgnored() {
        String id = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(32, 32, 35)).then().statusCode(202)
                .extract().path("jobs[0].id");
        FineTuneJob ftJob = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(id), FineTuneJob.class, WAIT);
        // pretend the gateway re-submitted the job as attempt 2
        QuarkusTransaction.requiringNew().run(() -> {
            io.s2edit.gateway.jobs.JobEntity j = io.s2edit.gateway.jobs.JobEntity.findById(ftJob.jobId());
            j.attempt = 2;
            j.message = Messages.encode(ftJob.withAttempt(2));
        });
        Worker.send(JobEvent.started(ftJob), JobEvent.failed(ftJob, "attempt 1 died"),
                JobEvent.started(ftJob.withAttempt(2)));
        awaitStatus(id, "running");
        job(id).body("attempt", equalTo(2)).body("error", nullValue());
    }

    static S3Client s3() {
        var c = ConfigProvider.getConfig();
        return S3Client.builder()
                .endpointOverride(URI.create(c.getValue("s2edit.storage.endpoint", String.class)))
                .region(Region.of(c.getValue("s2edit.storage.region", String.class)))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        c.getValue("s2edit.storage.access-key", String.class), c.getValue("s2edit.storage.secret-key", String.class))))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    @Test
    void listPagesNewestFirst() {
        for (int i = 0; i < 3; i++) {
            Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(16, 16, 40 + i)).then().statusCode(202);
        }
        var page = given().queryParam("size", 2).queryParam("kind", "finetune").get("/v1/jobs").then().statusCode(200)
                .body("items.size()", equalTo(2)).body("page", equalTo(0)).body("next", containsString("page=1"))
                .extract().jsonPath();
        assertTrue(page.getLong("total") >= 3);
        List<String> created = page.getList("items.created_at");
        assertTrue(!java.time.Instant.parse(created.get(0)).isBefore(java.time.Instant.parse(created.get(1))), created.toString());
    }
}

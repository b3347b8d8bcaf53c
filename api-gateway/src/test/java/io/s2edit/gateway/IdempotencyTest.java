package io.s2edit.gateway;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.s2edit.gateway.jobs.IdentityEntity;
import io.s2edit.gateway.jobs.JobEntity;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The same POST with the same Idempotency-Key creates its jobs once. */
@QuarkusTest
class IdempotencyTest {

    @Test
    void sameKeySameBodyGivesTheSameJobsOnce() {
        String key = "idem-" + UUID.randomUUID();
        byte[] image = Fixtures.png(24, 24, 11);
        Map<String, String> f = Fixtures.fields();
        f.put("invert", "{}");
        List<String> first = Fixtures.multipart(f, "image", image).header("Idempotency-Key", key).post("/v1/identities")
                .then().statusCode(202).extract().jsonPath().getList("jobs.id");
        List<String> second = Fixtures.multipart(f, "image", image).header("Idempotency-Key", key).post("/v1/identities")
                .then().statusCode(202).extract().jsonPath().getList("jobs.id");
        assertEquals(2, first.size());
        assertEquals(first, second);
        UUID identity = QuarkusTransaction.requiringNew().call(() ->
                JobEntity.<JobEntity>findById(UUID.fromString(first.get(0))).identityId);
        long identities = QuarkusTransaction.requiringNew().call(() -> IdentityEntity.count("id", identity));
        long jobs = QuarkusTransaction.requiringNew().call(() -> JobEntity.count("identityId", identity));
        assertEquals(1, identities);
        assertEquals(2, jobs);

        // without the key, the same request is a new identity
        List<String> third = Fixtures.multipart(f, "image", image).post("/v1/identities")
                .then().statusCode(202).extract().jsonPath().getList("jobs.id");
        assertNotEquals(first, third);
    }

    @Test
    void sameKeyDifferentBodyIsRefused() {
        String key = "idem-" + UUID.randomUUID();
        Fixtures.multipart(Fixtures.fields(), "image", Fixtures.png(24, 24, 12)).header("Idempotency-Key", key)
                .post("/v1/identities").then().statusCode(202);
        Fixtures.multipart(Fixtures.fields(), "image", Fixtures.png(24, 24, 13)).header("Idempotency-Key", key)
                .post("/v1/identities").then().statusCode(422)
                .body("type", equalTo("urn:s2edit:problem:idempotency-key-reused"))
                .body("field", equalTo("Idempotency-Key"));
    }

    @Test
    void jsonEndpointsAndCancelAreIdempotentToo() {
        String identity = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(24, 24, 14)).then().statusCode(202)
                .extract().path("identity_id");
        String key = "idem-" + UUID.randomUUID();
        String body = "{\"options\": {\"steps\": 20}}";
        String a = given().contentType(ContentType.JSON).header("Idempotency-Key", key).body(body)
                .post("/v1/identities/" + identity + "/inversions").then().statusCode(202).extract().path("jobs[0].id");
        // the same JSON written differently is the same request
        String b = given().contentType(ContentType.JSON).header("Idempotency-Key", key).body("{ \"options\" : { \"steps\" : 20 } }")
                .post("/v1/identities/" + identity + "/inversions").then().statusCode(202).extract().path("jobs[0].id");
        assertEquals(a, b);
        given().contentType(ContentType.JSON).header("Idempotency-Key", key).body("{\"options\": {\"steps\": 30}}")
                .post("/v1/identities/" + identity + "/inversions").then().statusCode(422);

        String cancelKey = "cancel-" + UUID.randomUUID();
        given().header("Idempotency-Key", cancelKey).post("/v1/jobs/" + a + "/cancel").then().statusCode(200)
                .body("status", equalTo("canceled"));
        given().header("Idempotency-Key", cancelKey).post("/v1/jobs/" + a + "/cancel").then().statusCode(200)
                .body("status", equalTo("canceled"));
        // a second cancel without the key is a conflict: the job has ended
        given().post("/v1/jobs/" + a + "/cancel").then().statusCode(409)
                .body("type", equalTo("urn:s2edit:problem:job-not-cancelable"));
    }
}

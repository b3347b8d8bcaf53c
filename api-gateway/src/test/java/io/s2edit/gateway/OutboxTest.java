package io.s2edit.gateway;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.Topics;
import io.s2edit.gateway.outbox.OutboxEntity;
import io.s2edit.testsupport.InjectTestServer;
import io.s2edit.testsupport.KafkaServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A job accepted while Kafka is down is published once Kafka is back (transactional outbox); a job
 * canceled while Kafka is down is not published, but its cancel is.
 */
@QuarkusTest
class OutboxTest {

    @InjectTestServer
    KafkaServer kafka;

    @Test
    void jobSubmittedWhileKafkaIsDownIsPublishedWhenItReturns() {
        kafka.stop();
        UUID jobId;
        UUID canceledId;
        try {
            canceledId = UUID.fromString(Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(20, 20, 22)).then()
                    .statusCode(202).extract().path("jobs[0].id"));
            given().post("/v1/jobs/" + canceledId + "/cancel").then().statusCode(200).body("status", equalTo("canceled"));
            String id = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(20, 20, 21)).then()
                    .statusCode(202)
                    .body("jobs[0].status", equalTo("queued"))
                    .extract().path("jobs[0].id");
            jobId = UUID.fromString(id);
            // the relay keeps trying; the row stays unpublished while the broker is away
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> outbox(jobId).publishedAt == null);
            assertNull(outbox(jobId).publishedAt);
            assertNull(outbox(canceledId, Topics.CANCEL).publishedAt);
        } finally {
            kafka.start();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> outbox(jobId).publishedAt != null);
        FineTuneJob published = Worker.awaitJob(Topics.FINETUNE, jobId, FineTuneJob.class, Duration.ofSeconds(30));
        assertEquals(Fixtures.PROMPT, published.sourcePrompt());
        assertEquals(1, published.attempt());
        assertNotNull(published.options().seed());

        // the canceled job: its message is skipped, its cancel goes out, in one relay round or two
        await().atMost(Duration.ofSeconds(30)).until(() -> outbox(canceledId, Topics.CANCEL).publishedAt != null);
        OutboxEntity skipped = outbox(canceledId, Topics.FINETUNE);
        assertNotNull(skipped.publishedAt);
        assertEquals("not published: job canceled before publication", skipped.lastError);
        JobCancel cancel = Worker.awaitCancel(canceledId, Duration.ofSeconds(30));
        assertEquals(JobKind.FINETUNE, cancel.kind());
        assertEquals("canceled by request", cancel.reason());
        assertEquals(cancel.identityId().toString(), cancel.key());
    }

    private static OutboxEntity outbox(UUID jobId) {
        return QuarkusTransaction.requiringNew().call(() -> OutboxEntity.<OutboxEntity>find("jobId", jobId).singleResult());
    }

    private static OutboxEntity outbox(UUID jobId, String topic) {
        return QuarkusTransaction.requiringNew().call(() -> OutboxEntity.<OutboxEntity>find("jobId = ?1 and topic = ?2", jobId, topic)
                .singleResult());
    }
}

package io.s2edit.gateway;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.Topics;
import io.s2edit.gateway.outbox.OutboxEntity;
import io.s2edit.testsupport.InjectTestServer;
import io.s2edit.testsupport.KafkaServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A job accepted while Kafka is down is published once Kafka is back (transactional outbox). */
@QuarkusTest
class OutboxTest {

    @InjectTestServer
    KafkaServer kafka;

    @Test
    void jobSubmittedWhileKafkaIsDownIsPublishedWhenItReturns() {
        kafka.stop();
        UUID jobId;
        try {
            String id = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(20, 20, 21)).then()
                    .statusCode(202)
                    .body("jobs[0].status", equalTo("queued"))
                    .extract().path("jobs[0].id");
            jobId = UUID.fromString(id);
            // the relay keeps trying; the row stays unpublished while the broker is away
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> outbox(jobId).publishedAt == null);
            assertNull(outbox(jobId).publishedAt);
        } finally {
            kafka.start();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> outbox(jobId).publishedAt != null);
        FineTuneJob published = Worker.awaitJob(Topics.FINETUNE, jobId, FineTuneJob.class, Duration.ofSeconds(30));
        assertEquals(Fixtures.PROMPT, published.sourcePrompt());
        assertEquals(1, published.attempt());
        assertNotNull(published.options().seed());
    }

    private static OutboxEntity outbox(UUID jobId) {
        return QuarkusTransaction.requiringNew().call(() -> OutboxEntity.<OutboxEntity>find("jobId", jobId).singleResult());
    }
}

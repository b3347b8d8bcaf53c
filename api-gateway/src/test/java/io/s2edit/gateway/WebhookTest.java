package io.s2edit.gateway;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.Topics;
import io.s2edit.gateway.webhooks.WebhookDeliveryEntity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A local receiver checks Standard Webhooks signatures the way a client would, answers the
 * first terminal delivery with 500, and sees the retry with the same webhook-id.
 */
@QuarkusTest
class WebhookTest {

    /** The same secret as %test.s2edit.webhooks.signing-secret. */
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    record Received(String id, long timestamp, String signature, String body, boolean valid, int answered) {
    }

    private HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger completedCalls = new AtomicInteger();

    @BeforeEach
    void receiver() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", ex -> {
            String id = ex.getRequestHeaders().getFirst("webhook-id");
            long ts = Long.parseLong(ex.getRequestHeaders().getFirst("webhook-timestamp"));
            String sig = ex.getRequestHeaders().getFirst("webhook-signature");
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean fresh = Math.abs(Instant.now().getEpochSecond() - ts) <= 300;
            boolean valid = fresh && sig.equals("v1," + hmac(id + "." + ts + "." + body));
            // the first delivery of a terminal event fails; the retry succeeds
            int status = id.endsWith("_completed") && completedCalls.getAndIncrement() == 0 ? 500 : 204;
            received.add(new Received(id, ts, sig, body, valid, status));
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static String hmac(String content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring("whsec_".length())), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void terminalEventIsSignedRetriedAfter500AndKeepsItsId() {
        Map<String, String> f = Fixtures.fields();
        f.put("webhook", "http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
        f.put("webhook_events_filter", "start,completed");
        String id = Fixtures.postIdentity(f, Fixtures.png(20, 20, 51)).then().statusCode(202).extract().path("jobs[0].id");
        FineTuneJob job = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(id), FineTuneJob.class, Duration.ofSeconds(30));
        Worker.send(JobEvent.started(job), JobEvent.progress(job, 1, 200, "finetune"),
                JobEvent.succeeded(job, List.of(), Map.of("predict_time", 2.0)));
        // a duplicate terminal event (at-least-once delivery) adds no new webhook
        Worker.send(JobEvent.succeeded(job, List.of(), Map.of("predict_time", 2.0)));

        await().atMost(Duration.ofSeconds(30)).until(() -> received.stream().filter(r -> r.answered() == 204
                && r.id().endsWith("_completed")).count() == 1);
        List<Received> completed = received.stream().filter(r -> r.id().endsWith("_completed")).toList();
        assertEquals(2, completed.size(), "one failed delivery (500) and its retry: " + received);
        assertEquals(completed.get(0).id(), completed.get(1).id(), "a retry keeps the webhook-id");
        assertEquals("msg_" + id + "_completed", completed.get(0).id());
        assertTrue(completed.stream().allMatch(Received::valid), "signatures verify: " + completed);
        assertTrue(completed.get(1).body().contains("\"status\":\"succeeded\""), completed.get(1).body());

        List<Received> starts = received.stream().filter(r -> r.id().contains("_start_")).toList();
        assertEquals(1, starts.size());
        assertTrue(starts.get(0).valid());
        assertTrue(received.stream().noneMatch(r -> r.id().contains("_progress_")), "progress was not subscribed");

        WebhookDeliveryEntity row = QuarkusTransaction.requiringNew().call(() -> WebhookDeliveryEntity.findById("msg_" + id + "_completed"));
        assertEquals(WebhookDeliveryEntity.DELIVERED, row.status);
        assertEquals(2, row.attempts);
        assertEquals(204, row.lastStatus);
        // nothing else arrives later
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> received.stream().filter(r -> r.id().endsWith("_completed")).count() == 2);
    }

    @Test
    void aDeliveryLeftByAnEarlierProcessIsSent() {
        // as after a crash mid-send: a pending row whose claim has lapsed, 3 attempts behind it
        String jobId = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(20, 20, 53)).then().statusCode(202)
                .extract().path("jobs[0].id");
        String deliveryId = "msg_" + jobId + "_completed";
        QuarkusTransaction.requiringNew().run(() -> {
            WebhookDeliveryEntity d = new WebhookDeliveryEntity();
            d.id = deliveryId;
            d.jobId = UUID.fromString(jobId);
            d.event = "completed";
            d.url = "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
            d.payload = "{\"id\":\"" + jobId + "\",\"status\":\"failed\"}";
            d.status = WebhookDeliveryEntity.PENDING;
            d.attempts = 3;
            d.createdAt = Instant.now().minusSeconds(600);
            d.nextAttemptAt = Instant.now().minusSeconds(1);
            d.persist();
        });
        completedCalls.set(1); // answer 204 at once
        await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().anyMatch(r -> r.id().equals(deliveryId)));
        Received r = received.stream().filter(x -> x.id().equals(deliveryId)).findFirst().orElseThrow();
        assertTrue(r.valid(), "signed with this attempt's timestamp");
        await().atMost(Duration.ofSeconds(5)).until(() -> WebhookDeliveryEntity.DELIVERED.equals(QuarkusTransaction.requiringNew()
                .call(() -> WebhookDeliveryEntity.<WebhookDeliveryEntity>findById(deliveryId).status)));
    }

    @Test
    void goneDisablesTheEndpoint() throws Exception {
        HttpServer gone = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger calls = new AtomicInteger();
        gone.createContext("/", ex -> {
            calls.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(410, -1);
            ex.close();
        });
        gone.start();
        try {
            Map<String, String> f = Fixtures.fields();
            f.put("webhook", "http://127.0.0.1:" + gone.getAddress().getPort() + "/");
            f.put("webhook_events_filter", "[\"completed\"]");
            String id = Fixtures.postIdentity(f, Fixtures.png(20, 20, 52)).then().statusCode(202).extract().path("jobs[0].id");
            FineTuneJob job = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(id), FineTuneJob.class, Duration.ofSeconds(30));
            Worker.send(JobEvent.failed(job, "out of memory"));
            await().atMost(Duration.ofSeconds(30)).until(() -> WebhookDeliveryEntity.DISABLED.equals(
                    QuarkusTransaction.requiringNew().call(() -> WebhookDeliveryEntity.<WebhookDeliveryEntity>findById("msg_" + id + "_completed").status)));
            Thread.sleep(1000);
            assertEquals(1, calls.get(), "410 is not retried");
        } finally {
            gone.stop(0);
        }
    }
}

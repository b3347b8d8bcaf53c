package io.s2edit.gateway;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.Topics;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET /v1/jobs/{id}/events streams the status changes and every progress step, then ends. */
@QuarkusTest
class EventStreamTest {

    @TestHTTPResource("/")
    URL base;

    record Sse(String event, String data) {
    }

    @Test
    void streamsStatusAndEachProgressStepThenCompletes() throws Exception {
        String id = Fixtures.postIdentity(Fixtures.fields(), Fixtures.png(20, 20, 61)).then().statusCode(202)
                .extract().path("jobs[0].id");
        FineTuneJob job = Worker.awaitJob(Topics.FINETUNE, UUID.fromString(id), FineTuneJob.class, Duration.ofSeconds(30));

        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(base.toString().replaceAll("/$", "") + "/v1/jobs/" + id + "/events"))
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        CompletableFuture<List<Sse>> events = CompletableFuture.supplyAsync(() -> read(response.body()));

        Thread.sleep(300); // the stream has sent its first status
        Worker.send(JobEvent.started(job),
                JobEvent.progress(job, 1, 3, "finetune"),
                JobEvent.progress(job, 2, 3, "finetune"),
                JobEvent.progress(job, 3, 3, "finetune"),
                JobEvent.succeeded(job, List.of(), Map.of()));
        List<Sse> got = events.get(30, TimeUnit.SECONDS);

        List<String> names = got.stream().map(Sse::event).toList();
        assertEquals("status", names.get(0));
        assertTrue(got.get(0).data().contains("\"status\":\"queued\""), got.get(0).data());
        assertTrue(got.get(1).data().contains("\"status\":\"running\""), got.get(1).data());
        List<String> progress = got.stream().filter(e -> e.event().equals("progress")).map(Sse::data).toList();
        assertEquals(List.of("{\"step\":1,\"total\":3,\"stage\":\"finetune\"}", "{\"step\":2,\"total\":3,\"stage\":\"finetune\"}",
                "{\"step\":3,\"total\":3,\"stage\":\"finetune\"}"), progress);
        Sse last = got.get(got.size() - 1);
        assertEquals("status", last.event());
        assertTrue(last.data().contains("\"status\":\"succeeded\""), last.data());
    }

    @Test
    void unknownJobIs404() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(base.toString().replaceAll("/$", "") + "/v1/jobs/" + UUID.randomUUID() + "/events"))
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("urn:s2edit:problem:job-not-found"), r.body());
    }

    /** Reads events until the server ends the stream. */
    private static List<Sse> read(InputStream in) {
        List<Sse> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String event = "message";
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        out.add(new Sse(event, data.toString()));
                    }
                    event = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                }
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
        return out;
    }
}

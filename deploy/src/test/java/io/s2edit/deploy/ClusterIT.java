package io.s2edit.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.deploy.client.EditCommand;
import io.s2edit.deploy.client.GatewayClient;
import io.s2edit.testsupport.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cluster from its packaged applications: {@link LocalStack} (real PostgreSQL, Kafka, S3; the
 * gateway and workers as separate JVMs), driven over REST by the {@code ./s2edit edit} client. The
 * worker runs the real S2Edit stages on the committed tiny checkpoint with tiny settings: few
 * fine-tuning and inversion steps, a {@link #MASK_STEPS}-step mask pass and at most
 * {@link #INNER_STEPS} Null-text iterations per step (none of the assertions depends on them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final Duration JOB_WAIT = Duration.ofMinutes(5);
    private static final int MASK_STEPS = 2;
    private static final int INNER_STEPS = 2;
    private static final int INVERSION_STEPS = 2;

    private static Path root;
    private static Path data;
    private static Path image;
    private static LocalStack.Options options;
    private static LocalStack stack;
    private static WebhookReceiver receiver;
    private static EditCommand.Outcome first;

    @BeforeAll
    static void startCluster() throws IOException {
        // only in the integration-test phase, after the applications were packaged (a -Dtest=... runs it in test too)
        assumeTrue(Boolean.getBoolean("s2edit.cluster-tests"), "the cluster tests run in the integration-test phase");
        root = Path.of(System.getProperty("s2edit.root", "..")).toAbsolutePath().normalize();
        for (String app : List.of("api-gateway", "gpu-worker")) {
            Path jar = root.resolve(app).resolve("target/quarkus-app/quarkus-run.jar");
            if (!Files.isRegularFile(jar)) {
                fail(jar + " is missing: the cluster tests run the packaged applications; build with "
                        + "./mvnw -B verify (or -pl api-gateway,gpu-worker,deploy -am verify)");
            }
        }
        data = Files.createTempDirectory("s2edit-cluster-");
        image = data.resolve("cat.png");
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, (x * 4) << 16 | (y * 4) << 8 | ((x + y) * 2));
            }
        }
        ImageIO.write(img, "png", image.toFile());
        receiver = new WebhookReceiver();
        // a short session timeout: a killed worker's partitions move to another after ~6 s, not 45 s
        options = new LocalStack.Options(root, root.resolve("gpu-worker/src/test/resources/reference/tiny"),
                data.resolve("stack"), Ports.free(), List.of("-Dkafka.session.timeout.ms=6000", "-Dkafka.heartbeat.interval.ms=1000"));
        stack = LocalStack.start(options, System.err);
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (stack != null) {
            for (AppProcess p : stack.workers()) {
                System.err.println("--- " + p + "\n" + p.logTail(15));
            }
            stack.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        if (data != null && Boolean.getBoolean("s2edit.keep-cluster-data")) {
            System.err.println("cluster data kept in " + data);
        } else if (data != null) {
            try (Stream<Path> s = Files.walk(data)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static EditCommand.Request request(int fineTuneSteps, Path out, String target) {
        return new EditCommand.Request(stack.gatewayUrl(), image, null, "a photo of a [I] cat", "cat", List.of(target),
                fineTuneSteps, INVERSION_STEPS, 5.0, 7L, true, true, true, out, receiver.url(),
                new EditCommand.Tuning(null, null, null, MASK_STEPS, INNER_STEPS, null, null, List.of(), null));
    }

    private static GatewayClient client() {
        return new GatewayClient(stack.gatewayUrl());
    }

    private static JsonNode awaitJob(String id, Predicate<JsonNode> condition, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode j = null;
        while (System.nanoTime() < end) {
            j = client().job(id);
            if (condition.test(j)) {
                return j;
            }
            if (j.path("status").asText().equals("failed")) {
                fail("job " + id + " failed: " + j.path("error").path("reason").asText());
            }
            Thread.sleep(250);
        }
        fail("job " + id + " did not get there within " + timeout + "; last: " + j);
        return j;
    }

    private static void awaitDelivery(String jobId) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (receiver.completed(jobId).isEmpty() && System.nanoTime() < end) {
            Thread.sleep(200);
        }
    }

    private static boolean isPng(Path p) throws IOException {
        BufferedImage img = ImageIO.read(p.toFile());
        return img != null && img.getWidth() > 0 && img.getHeight() > 0;
    }

    /**
     * The end-to-end test, submitted while Kafka is stopped: the gateway accepts the chain, nothing
     * runs until Kafka is back, then the real stages run it (tiny settings) and everything is
     * reported and stored as it should be.
     */
    @Test
    @Order(1)
    void aChainSubmittedWhileKafkaIsDownRunsWhenItReturnsAndIsReportedSigned() throws Exception {
        Path out = data.resolve("out-1");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        stack.kafka().stop();
        CompletableFuture<EditCommand.Outcome> client;
        try {
            client = CompletableFuture.supplyAsync(() -> {
                try {
                    return new EditCommand(new PrintStream(stdout, true), System.err)
                            .submitAndWait(request(2, out, "a photo of a [I] cat wearing a hat"));
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            String fineTune = awaitFineTuneSubmitted();
            Thread.sleep(2000);
            assertEquals("queued", client().job(fineTune).path("status").asText(), "nothing can run without Kafka");
        } finally {
            stack.kafka().start();
        }
        first = client.get(JOB_WAIT.toMinutes() * 2, TimeUnit.MINUTES);
        assertEquals(0, first.status(), "the client's exit status");
        assertEquals(3, first.jobIds().size(), "fine-tune, inversion, edit");
        Path edited = out.resolve("0.png");
        assertTrue(isPng(edited), "a valid PNG: " + edited);
        assertTrue(isPng(out.resolve("object-mask.png")), "the mask");
        assertTrue(stdout.toString().contains("wrote " + edited));
        // the step counts went through the gateway and Kafka to the worker's stages
        JsonNode fineTuneJob = client().job(first.jobIds().get(0));
        assertEquals(MASK_STEPS, fineTuneJob.path("input").path("options").path("mask_steps").asInt(), fineTuneJob.toString());
        JsonNode inversionJob = client().job(first.jobIds().get(1));
        assertEquals(INNER_STEPS, inversionJob.path("input").path("options").path("inner_steps").asInt(), inversionJob.toString());
        double iterations = inversionJob.path("metrics").path("inner_iterations").asDouble(-1);
        assertTrue(iterations >= INVERSION_STEPS && iterations <= INVERSION_STEPS * INNER_STEPS,
                "Null-text iterations " + iterations + ": " + inversionJob.path("metrics"));

        // every job's terminal webhook: signed with the stack's secret, one id per job
        for (String id : first.jobIds()) {
            awaitDelivery(id);
            List<WebhookReceiver.Delivery> done = receiver.completed(id);
            assertEquals(1, done.size(), () -> "terminal deliveries of " + id + ": " + done);
            WebhookReceiver.Delivery d = done.get(0);
            assertEquals("msg_" + id + "_completed", d.id());
            assertTrue(d.signedWith(stack.webhookSecret()), "signature of " + d.id());
            assertTrue(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(d.timestamp())) < 300, "timestamp");
            assertEquals("succeeded", d.json().path("status").asText());
        }

        // the gateway's rows: three jobs of one identity, succeeded once each on the first attempt
        try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", "");
             ResultSet rs = db.createStatement().executeQuery("select id, kind, status, attempt, started_at, completed_at, outputs, "
                     + "error_reason, (select count(*) from outbox o where o.job_id = j.id and o.published_at is not null) "
                     + "from jobs j where identity_id = '" + UUID.fromString(first.identityId()) + "' order by created_at, kind")) {
            List<String> kinds = new ArrayList<>();
            while (rs.next()) {
                kinds.add(rs.getString("kind"));
                String id = rs.getString("id");
                assertEquals("succeeded", rs.getString("status"), id);
                assertEquals(1, rs.getInt("attempt"), id);
                assertNotNull(rs.getTimestamp("started_at"), id);
                assertTrue(!rs.getTimestamp("completed_at").before(rs.getTimestamp("started_at")), id);
                assertTrue(rs.getString("outputs").contains(".png") || rs.getString("outputs").contains(".safetensors"), id);
                assertEquals(null, rs.getString("error_reason"));
                assertEquals(1, rs.getInt(9), "published once: " + id);
            }
            assertEquals(3, kinds.size(), "rows: " + kinds);
            assertTrue(kinds.containsAll(List.of("finetune", "invert", "edit")), "rows: " + kinds);
        }
    }

    /** The newest fine-tune job, once the client's POST was accepted. */
    private static String awaitFineTuneSubmitted() throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", "");
                 ResultSet rs = db.createStatement().executeQuery("select id from jobs where kind = 'finetune' order by created_at desc limit 1")) {
                if (rs.next()) {
                    return rs.getString(1);
                }
            }
            Thread.sleep(200);
        }
        return fail("the client's chain was not accepted within 60 s");
    }

    /** Submits only the fine-tune of a new identity (the messaging tests need no inversion). */
    private static String submitFineTune(int steps) throws Exception {
        // without spatial control there is no mask to extract: each step is the cost
        EditCommand.Request r = request(steps, data.resolve("unused"), "a photo of a [I] cat");
        r = new EditCommand.Request(r.server(), r.image(), null, r.source(), r.object(), r.targets(), steps, null, null, 7L,
                true, false, false, r.out(), r.webhook());
        List<GatewayClient.Part> parts = EditCommand.parts(r).stream()
                .filter(p -> !p.name().equals("invert") && !p.name().equals("edits")).toList();
        JsonNode submitted = client().postMultipart("v1/identities", parts, null);
        assertEquals(1, submitted.path("jobs").size());
        return submitted.path("jobs").get(0).path("id").asText();
    }

    private static boolean succeeded(JsonNode job) {
        return job.path("status").asText().equals("succeeded");
    }

    private static boolean logHas(AppProcess p, String text) {
        try {
            return Files.readString(p.log()).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * One job, three workers: the first is killed (SIGKILL) mid-job, the second takes it over
     * after the rebalance and is stopped (SIGTERM) with a 2 s grace, so it abandons the job
     * unacknowledged; the third finishes it. The job ends once: attempt 1, one terminal webhook.
     */
    @Test
    @Order(2)
    void aJobOutlivesAKilledAndAStoppedWorkerAndEndsOnce() throws Exception {
        AppProcess killed = stack.workers().get(0);
        // long enough that the second worker cannot finish it within its 2 s grace: 8 steps took
        // 3.5 s on this machine unloaded, so the SIGTERM 1.5 s in let it succeed instead of abandon
        String fineTune = submitFineTune(40);
        String started = "finetune job " + fineTune;
        awaitJob(fineTune, j -> j.path("status").asText().equals("running") && j.path("progress").path("step").asInt() >= 1,
                JOB_WAIT);
        killed.kill();
        assertTrue(!killed.isAlive());

        AppProcess stopped = stack.startWorker("worker-2", "-Ds2edit.shutdown-grace=2s");
        long end = System.nanoTime() + JOB_WAIT.toNanos();
        while (!logHas(stopped, started) && System.nanoTime() < end) {
            Thread.sleep(250);
        }
        assertTrue(logHas(stopped, started), "redelivered to the second worker: " + stopped.logTail(20));
        Thread.sleep(1500); // mid-job
        long t0 = System.nanoTime();
        stopped.stop(Duration.ofSeconds(60)); // SIGTERM
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(seconds < 30, "the worker left " + seconds + " s after SIGTERM, grace 2 s");
        assertTrue(logHas(stopped, "abandoned"), stopped.logTail(20));
        assertEquals("running", client().job(fineTune).path("status").asText(), "abandoned, not failed");

        AppProcess finisher = stack.startWorker("worker-3");
        JsonNode ft = awaitJob(fineTune, ClusterIT::succeeded, JOB_WAIT);
        assertTrue(logHas(finisher, started), "the third worker ran it");
        assertEquals(1, ft.path("attempt").asInt(), "redelivered by Kafka, not resubmitted");
        awaitDelivery(fineTune);
        Thread.sleep(1000);
        List<WebhookReceiver.Delivery> done = receiver.completed(fineTune);
        assertEquals(1, done.size(), () -> "terminal deliveries: " + done);
        assertEquals("msg_" + fineTune + "_completed", done.get(0).id());
        try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", "");
             ResultSet rs = db.createStatement().executeQuery("select count(*) from webhook_deliveries where job_id = '"
                     + fineTune + "' and event = 'completed'")) {
            rs.next();
            assertEquals(1, rs.getInt(1));
        }
    }

    @Test
    @Order(3)
    void aRestartedStackKeepsJobsAndArtifacts() throws Exception {
        String edit = first.jobIds().get(2);
        Path before = data.resolve("before.png");
        client().download(edit, "0.png", before);
        stack.close();
        stack = LocalStack.start(options, System.err);
        JsonNode job = client().job(edit);
        assertEquals("succeeded", job.path("status").asText());
        Path again = data.resolve("again.png");
        client().download(edit, "0.png", again);
        assertArrayEquals(Files.readAllBytes(before), Files.readAllBytes(again));
    }
}

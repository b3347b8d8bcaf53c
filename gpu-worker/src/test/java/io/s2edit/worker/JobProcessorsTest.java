package io.s2edit.worker;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.EditJob;
import io.s2edit.common.messages.EditOptions;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.FineTuneOptions;
import io.s2edit.common.messages.InvertJob;
import io.s2edit.common.messages.InvertOptions;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.messages.Topics;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job processors against a real broker and S3 server, with fast stand-in stages
 * ({@link FakeStages}): events, outputs, failures with reasons, redelivery, one job at a time and
 * the model cache. The real stages run in the cluster's end-to-end test (module deploy).
 */
@QuarkusTest
@WithTestResource(WorkerTestServers.class)
class JobProcessorsTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Map<UUID, List<JobEvent>> EVENTS = new ConcurrentHashMap<>();
    private static volatile Thread collector;
    private static volatile boolean stop;

    @Inject
    FakeStages stages;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "s2edit.storage.endpoint")
    String s3Endpoint;

    @BeforeAll
    static void collectEvents() {
        stop = false;
    }

    @AfterAll
    static void stopCollecting() throws InterruptedException {
        stop = true;
        if (collector != null) {
            collector.join(5000);
        }
    }

    /** Reads s2edit.job-events from the beginning on a thread of its own (started on first use, config known). */
    private synchronized void ensureCollector() {
        if (collector != null) {
            return;
        }
        Map<String, Object> conf = Map.of("bootstrap.servers", bootstrap, "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName(), "enable.auto.commit", "false");
        Thread t = new Thread(() -> {
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(conf)) {
                List<TopicPartition> parts = c.partitionsFor(Topics.JOB_EVENTS, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(Topics.JOB_EVENTS, p.partition())).toList();
                c.assign(parts);
                c.seekToBeginning(parts);
                while (!stop) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                        JobEvent e = Messages.decode(r.value(), JobEvent.class);
                        assertEquals(e.identityId().toString(), r.key(), "events are keyed by identity id");
                        EVENTS.computeIfAbsent(e.jobId(), k -> new CopyOnWriteArrayList<>()).add(e);
                    }
                }
            }
        }, "job-events-collector");
        t.setDaemon(true);
        t.start();
        collector = t;
    }

    private void send(JobMessage job) {
        ensureCollector();
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "key.serializer", StringSerializer.class.getName(), "value.serializer", StringSerializer.class.getName()))) {
            p.send(new ProducerRecord<>(job.topic(), job.key(), Messages.encode(job))).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private List<JobEvent> events(UUID jobId) {
        return new ArrayList<>(EVENTS.getOrDefault(jobId, List.of()));
    }

    private long terminalCount(UUID jobId) {
        return events(jobId).stream().filter(e -> e.type() == JobEvent.Type.SUCCEEDED || e.type() == JobEvent.Type.FAILED).count();
    }

    /** Waits for the {@code n}-th terminal event of the job and returns it. */
    private JobEvent awaitTerminal(UUID jobId, int n) {
        await().atMost(WAIT).until(() -> terminalCount(jobId) >= n);
        return events(jobId).stream().filter(e -> e.type() == JobEvent.Type.SUCCEEDED || e.type() == JobEvent.Type.FAILED)
                .skip(n - 1).findFirst().orElseThrow();
    }

    private S3Client s3() {
        return WorkerTestServers.client(s3Endpoint);
    }

    private void putSource(UUID identity) {
        try (S3Client s3 = s3()) {
            s3.putObject(r -> r.bucket(WorkerTestServers.BUCKET).key(ArtifactKeys.source(identity)),
                    RequestBody.fromBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G'}));
        }
    }

    private String object(String key) {
        try (S3Client s3 = s3()) {
            return s3.getObjectAsBytes(r -> r.bucket(WorkerTestServers.BUCKET).key(key)).asUtf8String();
        }
    }

    private static FineTuneJob fineTune(UUID identity, String prompt, int steps) {
        return FineTuneJob.create(UUID.randomUUID(), identity, prompt, "lady", false, null,
                new FineTuneOptions(steps, null, 7L, null, null, null, null, null));
    }

    private static InvertJob invert(FineTuneJob ft, int steps) {
        return InvertJob.create(UUID.randomUUID(), ft.identityId(), ft.jobId(), ft.sourcePrompt(), new InvertOptions(steps, 5.0));
    }

    private FineTuneJob fineTuned(UUID identity) {
        putSource(identity);
        FineTuneJob ft = fineTune(identity, "a photo of a [I] lady", 3);
        send(ft);
        assertEquals(JobEvent.Type.SUCCEEDED, awaitTerminal(ft.jobId(), 1).type(), () -> "fine-tune: " + events(ft.jobId()));
        return ft;
    }

    @Test
    void aChainReportsStartedProgressAndSucceededAndWritesItsOutputs() {
        UUID identity = UUID.randomUUID();
        putSource(identity);
        FineTuneJob ft = fineTune(identity, "a photo of a [I] lady", 5);
        send(ft);
        JobEvent done = awaitTerminal(ft.jobId(), 1);
        assertEquals(JobEvent.Type.SUCCEEDED, done.type(), () -> "events: " + events(ft.jobId()));
        List<JobEvent> all = events(ft.jobId());
        assertEquals(JobEvent.Type.STARTED, all.get(0).type());
        assertEquals(1, all.get(0).attempt());
        JobEvent lastProgress = all.stream().filter(e -> e.type() == JobEvent.Type.PROGRESS).reduce((a, b) -> b).orElseThrow();
        assertEquals("finetune", lastProgress.progress().stage());
        assertEquals(5, lastProgress.progress().step());
        assertEquals(5, lastProgress.progress().total());
        assertEquals(Map.of(
                ArtifactKeys.TOKEN_EMBEDDINGS, ArtifactKeys.tokenEmbeddings(identity, ft.jobId()),
                ArtifactKeys.WEIGHT_DELTA, ArtifactKeys.weightDelta(identity, ft.jobId()),
                ArtifactKeys.OBJECT_MASK, ArtifactKeys.objectMask(identity, ft.jobId())), done.outputs());
        assertTrue(done.metrics().get("predict_time") > 0, () -> "metrics: " + done.metrics());
        assertEquals(0.5, done.metrics().get("finetune_loss"));
        assertTrue(object(ArtifactKeys.weightDelta(identity, ft.jobId())).startsWith("finetune run "));

        // the inversion finds the fine-tuned model in memory: no rebuild from the delta
        int applied = stages.applied.get();
        InvertJob inv = invert(ft, 4);
        send(inv);
        JobEvent inverted = awaitTerminal(inv.jobId(), 1);
        assertEquals(JobEvent.Type.SUCCEEDED, inverted.type(), () -> "events: " + events(inv.jobId()));
        assertEquals(Map.of(ArtifactKeys.LATENTS, ArtifactKeys.latents(identity, inv.jobId())), inverted.outputs());
        assertEquals(applied, stages.applied.get());

        EditOptions options = new EditOptions(List.of("a photo of a [I] lady with bangs", "a photo of a [I] lady smiling"),
                null, null, List.of(new EditOptions.Reweight("bangs", 2.0)), null, null, null, null).resolved(4, 5.0, 11);
        EditJob edit = EditJob.create(UUID.randomUUID(), identity, ft.jobId(), inv.jobId(), ft.sourcePrompt(), "lady", options);
        send(edit);
        JobEvent edited = awaitTerminal(edit.jobId(), 1);
        assertEquals(JobEvent.Type.SUCCEEDED, edited.type(), () -> "events: " + events(edit.jobId()));
        assertEquals(Map.of("0.png", ArtifactKeys.editImage(identity, edit.jobId(), 0),
                "1.png", ArtifactKeys.editImage(identity, edit.jobId(), 1)), edited.outputs());
        assertTrue(object(ArtifactKeys.editImage(identity, edit.jobId(), 1)).startsWith("edit run "));
    }

    @Test
    void aJobWhoseParentLeftNoArtifactsFailsWithTheMissingKey() {
        UUID identity = UUID.randomUUID();
        putSource(identity);
        UUID missingFineTune = UUID.randomUUID();
        InvertJob inv = InvertJob.create(UUID.randomUUID(), identity, missingFineTune, "a photo of a [I] lady", new InvertOptions(3, 5.0));
        send(inv);
        JobEvent failed = awaitTerminal(inv.jobId(), 1);
        assertEquals(JobEvent.Type.FAILED, failed.type());
        assertEquals("the token embeddings of parent fine-tune job " + missingFineTune + " is missing from storage ("
                + ArtifactKeys.tokenEmbeddings(identity, missingFineTune) + ")", failed.reason());

        FineTuneJob ft = fineTune(UUID.randomUUID(), "a photo of a [I] lady", 2); // its source image was never uploaded
        send(ft);
        JobEvent noSource = awaitTerminal(ft.jobId(), 1);
        assertEquals(JobEvent.Type.FAILED, noSource.type());
        assertTrue(noSource.reason().startsWith("the identity's source image is missing from storage"), noSource.reason());
    }

    @Test
    void aPromptTheTokenizerRefusesFailsTheJobWithItsMessage() {
        UUID identity = UUID.randomUUID();
        putSource(identity);
        FineTuneJob ft = fineTune(identity, "a photo of a [I] lady toolong", 2);
        send(ft);
        JobEvent failed = awaitTerminal(ft.jobId(), 1);
        assertEquals(JobEvent.Type.FAILED, failed.type());
        assertEquals(FakeStages.TOO_LONG, failed.reason());
        assertEquals(ft.attempt(), failed.attempt());
    }

    @Test
    void aRedeliveredJobRunsAgainAndOverwritesItsOwnOutputs() {
        UUID identity = UUID.randomUUID();
        FineTuneJob ft = fineTuned(identity);
        String key = ArtifactKeys.weightDelta(identity, ft.jobId());
        String first = object(key);
        // Kafka delivers the same record again (a crash before the commit): the job runs again
        send(ft);
        JobEvent second = awaitTerminal(ft.jobId(), 2);
        assertEquals(JobEvent.Type.SUCCEEDED, second.type());
        assertEquals(awaitTerminal(ft.jobId(), 1).outputs(), second.outputs(), "the same keys");
        String rewritten = object(key);
        assertTrue(!rewritten.equals(first) && rewritten.startsWith("finetune run "), first + " -> " + rewritten);
        assertEquals(2, events(ft.jobId()).stream().filter(e -> e.type() == JobEvent.Type.STARTED).count());

        // a resubmission by the gateway carries a higher attempt, and so do its events
        send(ft.withAttempt(3));
        JobEvent third = awaitTerminal(ft.jobId(), 3);
        assertEquals(3, third.attempt());
    }

    @Test
    void oneJobAtATimeAcrossTheTopics() {
        FineTuneJob b = fineTuned(UUID.randomUUID());
        stages.stepMillis = 40;
        stages.maxActive.set(0);
        try {
            UUID a = UUID.randomUUID();
            putSource(a);
            List<JobMessage> jobs = new ArrayList<>();
            IntStream.range(0, 2).forEach(i -> jobs.add(fineTune(a, "a photo of a [I] lady", 8)));
            jobs.add(invert(b, 8));
            jobs.add(invert(b, 8));
            jobs.parallelStream().forEach(this::send);
            for (JobMessage j : jobs) {
                assertEquals(JobEvent.Type.SUCCEEDED, awaitTerminal(j.jobId(), 1).type(), () -> "events: " + events(j.jobId()));
            }
            assertEquals(1, stages.maxActive.get(), "jobs ran at the same time");
        } finally {
            stages.stepMillis = 0;
        }
    }

    @Test
    void aModelNotInMemoryIsRebuiltFromBaseWeightsAndDelta() {
        FineTuneJob p = fineTuned(UUID.randomUUID());
        FineTuneJob q = fineTuned(UUID.randomUUID()); // the cache holds one model: p's is gone
        int applied = stages.applied.get();
        InvertJob invP = invert(p, 2);
        send(invP);
        assertEquals(JobEvent.Type.SUCCEEDED, awaitTerminal(invP.jobId(), 1).type(), () -> "events: " + events(invP.jobId()));
        assertEquals(applied + 1, stages.applied.get(), "p's model rebuilt once");
        InvertJob again = invert(p, 2);
        send(again);
        awaitTerminal(again.jobId(), 1);
        assertEquals(applied + 1, stages.applied.get(), "and then kept");
        InvertJob invQ = invert(q, 2);
        send(invQ);
        awaitTerminal(invQ.jobId(), 1);
        assertEquals(applied + 2, stages.applied.get(), "q's model was evicted by p's");
    }
}

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
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.Messages;
import io.s2edit.s2edit.stages.FineTuneInput;
import io.s2edit.s2edit.stages.InvertInput;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job processors against a real broker and S3 server, with fast stand-in stages
 * ({@link FakeStages}): events, outputs, failures with reasons, redelivery, one job at a time,
 * the model cache, and cancels (a running job stops, a canceled job's record is skipped). The real stages run in the cluster's end-to-end test (module deploy).
 */
@QuarkusTest
@WithTestResource(WorkerTestServers.class)
class JobProcessorsTest {

    private static final Duration WAIT = Duration.ofSeconds(90);

    @Inject
    FakeStages stages;

    @Inject
    JobCancels cancels;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "s2edit.storage.endpoint")
    String s3Endpoint;

    private RecordMetadata send(JobMessage job) {
        return WorkerKafka.send(bootstrap, job.topic(), job.key(), Messages.encode(job));
    }

    private void cancel(JobMessage job) {
        JobCancel c = JobCancel.of(job.jobId(), job.identityId(), job.kind(), Instant.now(), "canceled by request");
        WorkerKafka.send(bootstrap, c.topic(), c.key(), Messages.encode(c));
    }

    /** Waits until the worker group has committed past {@code record}: the worker acknowledged it. */
    private void awaitAcknowledged(RecordMetadata record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        await().atMost(WAIT).until(() -> WorkerKafka.committed(bootstrap, partition) > record.offset());
    }

    private List<JobEvent> events(UUID jobId) {
        return WorkerKafka.events(jobId);
    }

    private long terminalCount(UUID jobId) {
        return events(jobId).stream().filter(JobEvent::terminal).count();
    }

    /** Waits for the {@code n}-th terminal event of the job and returns it. */
    private JobEvent awaitTerminal(UUID jobId, int n) {
        await().atMost(WAIT).until(() -> terminalCount(jobId) >= n);
        return events(jobId).stream().filter(JobEvent::terminal)
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
                new FineTuneOptions(steps, null, 7L, null, null, null, null, null, null));
    }

    private static InvertJob invert(FineTuneJob ft, int steps) {
        return InvertJob.create(UUID.randomUUID(), ft.identityId(), ft.jobId(), ft.sourcePrompt(), new InvertOptions(steps, 5.0, null));
    }

    private FineTuneJob fineTuned(UUID identity) {
        putSource(identity);
        FineTuneJob ft = fineTune(identity, "a photo of a [I] lady", 3);
        send(ft);
        assertEquals(JobEvent.Type.SUCCEEDED, awaitTerminal(ft.jobId(), 1).type(), () -> "fine-tune: " + events(ft.jobId()));
        return ft;
    }

    /** The stage input the worker made from job {@code jobId}'s message (its image lies in the job's folder). */
    private static <T> T inputOf(List<T> inputs, java.util.function.Function<T, Path> image, UUID jobId) {
        return inputs.stream().filter(i -> image.apply(i).toString().contains(jobId.toString())).findFirst()
                .orElseThrow(() -> new AssertionError("no stage input for job " + jobId));
    }

    @Test
    void aChainReportsStartedProgressAndSucceededAndWritesItsOutputs() {
        UUID identity = UUID.randomUUID();
        putSource(identity);
        FineTuneJob ft = FineTuneJob.create(UUID.randomUUID(), identity, "a photo of a [I] lady", "lady", false, null,
                new FineTuneOptions(5, null, 7L, null, null, null, 0.4, null, 3));
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
        InvertJob inv = InvertJob.create(UUID.randomUUID(), identity, ft.jobId(), ft.sourcePrompt(), new InvertOptions(4, 5.0, 2));
        send(inv);
        JobEvent inverted = awaitTerminal(inv.jobId(), 1);
        assertEquals(JobEvent.Type.SUCCEEDED, inverted.type(), () -> "events: " + events(inv.jobId()));
        // every option of the messages reaches the stage inputs
        FineTuneInput ftInput = inputOf(stages.fineTuneInputs, FineTuneInput::image, ft.jobId());
        assertEquals(List.of(5, 7L, 0.4, 3, true), List.of(ftInput.steps(), ftInput.seed(), ftInput.maskThreshold(),
                ftInput.maskSteps(), ftInput.spatialControl()));
        InvertInput invInput = inputOf(stages.invertInputs, InvertInput::image, inv.jobId());
        assertEquals(List.of(4, 5.0, 2), List.of(invInput.steps(), invInput.guidance(), invInput.innerSteps()));
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
        InvertJob inv = InvertJob.create(UUID.randomUUID(), identity, missingFineTune, "a photo of a [I] lady", new InvertOptions(3, 5.0, null));
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

    @Test
    void aRunningJobStopsSoonAfterItsCancelReportsCanceledAndIsAcknowledged() {
        UUID identity = UUID.randomUUID();
        putSource(identity);
        FineTuneJob longJob = fineTune(identity, "a photo of a [I] lady", 3000); // 60 s at 20 ms a step
        stages.stepMillis = 20;
        try {
            RecordMetadata record = send(longJob);
            await().atMost(WAIT).until(() -> events(longJob.jobId()).stream().anyMatch(e -> e.type() == JobEvent.Type.PROGRESS));
            long canceledAt = System.nanoTime();
            cancel(longJob);
            JobEvent end = awaitTerminal(longJob.jobId(), 1);
            double seconds = (System.nanoTime() - canceledAt) / 1e9;
            System.out.printf("cancel -> canceled event: %.3f s%n", seconds);
            assertEquals(JobEvent.Type.CANCELED, end.type(), () -> "events: " + events(longJob.jobId()));
            assertTrue(seconds < 5, "stopped " + seconds + " s after the cancel");
            assertTrue(end.reason().startsWith("canceled by request; stopped after finetune step "), end.reason());
            int stoppedAt = Integer.parseInt(end.reason().replaceAll(".* step (\\d+)/3000", "$1"));
            assertTrue(stoppedAt < 3000, end.reason());
            awaitAcknowledged(record);
            try (S3Client s3 = s3()) {
                assertEquals(0, s3.listObjectsV2(r -> r.bucket(WorkerTestServers.BUCKET)
                        .prefix(ArtifactKeys.jobPrefix(longJob.kind(), identity, longJob.jobId()))).keyCount(), "nothing uploaded");
            }
        } finally {
            stages.stepMillis = 0;
        }
        // the worker takes the next job
        FineTuneJob next = fineTune(identity, "a photo of a [I] lady", 2);
        send(next);
        assertEquals(JobEvent.Type.SUCCEEDED, awaitTerminal(next.jobId(), 1).type());
        assertEquals(1, events(longJob.jobId()).stream().filter(JobEvent::terminal).count(), "one end only");
    }

    @Test
    void aCanceledJobsRecordIsAcknowledgedWithoutRunning() {
        // canceled before this worker started: known from the cancel topic's history
        FineTuneJob before = WorkerTestServers.CANCELED_BEFORE_START;
        // canceled while it runs, before its record arrives
        UUID identity = before.identityId();
        putSource(identity);
        FineTuneJob live = fineTune(identity, "a photo of a [I] lady", 2);
        cancel(live);
        await().atMost(WAIT).until(() -> cancels.isCanceled(live.jobId()));
        int runs = stages.runs.get();
        send(before);
        send(live);
        // a job behind them on the same partition runs: both records were handled before it
        FineTuneJob after = fineTune(identity, "a photo of a [I] lady", 2);
        RecordMetadata last = send(after);
        assertEquals(JobEvent.Type.SUCCEEDED, awaitTerminal(after.jobId(), 1).type());
        assertEquals(List.of(), events(before.jobId()), "no event: the gateway knows");
        assertEquals(List.of(), events(live.jobId()));
        assertEquals(runs + 1, stages.runs.get(), "only the last job ran");
        awaitAcknowledged(last);
    }
}

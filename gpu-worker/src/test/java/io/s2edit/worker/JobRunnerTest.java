package io.s2edit.worker;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.FineTuneOptions;
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.Messages;
import io.s2edit.engine.Progress;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runner's record handling without Kafka: SIGTERM (its shutdown observer, with a stage that
 * takes a known time per step), a record delivered twice, and cancels (what the cancel topic's
 * reader would have remembered).
 */
class JobRunnerTest {

    private final List<JobEvent> sent = new CopyOnWriteArrayList<>();
    private final AtomicInteger stageRuns = new AtomicInteger();
    private final AtomicInteger stepsDone = new AtomicInteger();
    private final JobCancels cancels = new JobCancels(Duration.ofDays(7), 1000, Duration.ZERO, java.time.Clock.systemUTC());

    /** Steps of the stand-in stage, read when a job starts. */
    private volatile int steps;

    private JobRunner runner(Duration grace, int stageSteps, long stepMillis) {
        steps = stageSteps;
        JobRunner r = new JobRunner();
        r.config = config(grace);
        r.registry = new SimpleMeterRegistry();
        r.cancels = cancels;
        r.events = new JobEventsClient() {
            @Override
            public CompletionStage<Void> send(JobEvent event) {
                sent.add(event);
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void sendAndForget(JobEvent event) {
                sent.add(event);
            }
        };
        r.stageJobs = new StageJobs() {
            @Override
            public Result run(JobMessage job, Path work, Progress progress) {
                stageRuns.incrementAndGet();
                int steps = JobRunnerTest.this.steps;
                for (int step = 1; step <= steps; step++) {
                    sleep(stepMillis);
                    progress.update("finetune", step, steps);
                    stepsDone.incrementAndGet();
                }
                return new Result(List.of(), Map.of());
            }
        };
        r.init();
        return r;
    }

    /** A record whose acknowledgement and negative acknowledgement are observed. */
    private static final class Record {
        final AtomicBoolean acked = new AtomicBoolean();
        final AtomicBoolean nacked = new AtomicBoolean();
        final FineTuneJob job = FineTuneJob.create(UUID.randomUUID(), UUID.randomUUID(), "a photo of a [I] lady", "lady", false,
                null, FineTuneOptions.defaults().withSeed(3));
        final Message<String> message = Message.of(Messages.encode(job), () -> {
            acked.set(true);
            return CompletableFuture.completedFuture(null);
        }, failure -> {
            nacked.set(true);
            return CompletableFuture.completedFuture(null);
        });
    }

    @Test
    void aJobThatEndsWithinTheGraceIsFinishedAndAcknowledged() throws Exception {
        JobRunner runner = runner(Duration.ofSeconds(20), 10, 50);
        Record record = new Record();
        CompletableFuture<Void> done = runner.submit(record.message, JobKind.FINETUNE).toCompletableFuture();
        await().atMost(Duration.ofSeconds(10)).until(() -> stepsDone.get() >= 1);
        runner.onShutdown(null); // returns once the job has ended
        assertTrue(done.isDone());
        assertTrue(record.acked.get(), "acknowledged");
        assertEquals(10, stepsDone.get());
        assertEquals(JobEvent.Type.SUCCEEDED, sent.get(sent.size() - 1).type());
    }

    @Test
    void aJobStillRunningAfterTheGraceIsAbandonedUnacknowledged() throws Exception {
        JobRunner runner = runner(Duration.ofMillis(300), 1000, 20);
        Record record = new Record();
        CompletableFuture<Void> done = runner.submit(record.message, JobKind.FINETUNE).toCompletableFuture();
        await().atMost(Duration.ofSeconds(10)).until(() -> stepsDone.get() >= 1);
        long start = System.nanoTime();
        runner.onShutdown(null);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "shutdown waits only the grace period");
        done.get(10, TimeUnit.SECONDS); // the job stops at its next step
        assertTrue(stepsDone.get() < 1000);
        assertFalse(record.acked.get(), "not acknowledged: Kafka redelivers it");
        assertFalse(record.nacked.get(), "not nacked: the channel stays healthy");
        assertTrue(sent.stream().noneMatch(e -> e.type() == JobEvent.Type.SUCCEEDED || e.type() == JobEvent.Type.FAILED),
                () -> "no terminal event: " + sent);
        assertEquals(JobEvent.Type.STARTED, sent.get(0).type());
    }

    @Test
    void theSameRecordBackAfterARebalanceIsAcknowledgedNotRunAgain() throws Exception {
        JobRunner runner = runner(Duration.ofSeconds(1), 2, 0);
        Record first = new Record();
        ConsumerRecord<String, String> kafkaRecord = new ConsumerRecord<>("s2edit.jobs.finetune", 1, 42L,
                first.job.key(), first.message.getPayload());
        Message<String> delivery = first.message.addMetadata(new IncomingKafkaRecordMetadata<>(kafkaRecord, "finetune-jobs"));
        runner.submit(delivery, JobKind.FINETUNE).get(10, TimeUnit.SECONDS);
        assertEquals(1, stageRuns.get());
        assertTrue(first.acked.get());

        // the partition was revoked and assigned back before the commit: offset 42 comes again
        Record again = new Record();
        Message<String> redelivery = again.message.addMetadata(new IncomingKafkaRecordMetadata<>(kafkaRecord, "finetune-jobs"));
        runner.submit(redelivery, JobKind.FINETUNE).get(10, TimeUnit.SECONDS);
        assertEquals(1, stageRuns.get(), "not run twice");
        assertTrue(again.acked.get(), "acknowledged, so the offset is committed");

        // a new record of the same job (published again) runs again: it may follow a lost artifact
        ConsumerRecord<String, String> republished = new ConsumerRecord<>("s2edit.jobs.finetune", 1, 43L,
                first.job.key(), first.message.getPayload());
        runner.submit(Message.of(first.message.getPayload()).addMetadata(new IncomingKafkaRecordMetadata<>(republished, "finetune-jobs")),
                JobKind.FINETUNE).get(10, TimeUnit.SECONDS);
        assertEquals(2, stageRuns.get());
    }

    @Test
    void aJobCanceledWhileRunningStopsAtItsNextStepReportsCanceledAndIsAcknowledged() throws Exception {
        JobRunner runner = runner(Duration.ofSeconds(1), 1000, 20);
        Record record = new Record();
        CompletableFuture<Void> done = runner.submit(record.message, JobKind.FINETUNE).toCompletableFuture();
        await().atMost(Duration.ofSeconds(10)).until(() -> stepsDone.get() >= 2);
        cancels.add(JobCancel.of(record.job.jobId(), record.job.identityId(), JobKind.FINETUNE, Instant.now(), "canceled by request"));
        done.get(5, TimeUnit.SECONDS);
        assertTrue(stepsDone.get() < 1000);
        assertTrue(record.acked.get(), "acknowledged: not redelivered");
        JobEvent last = sent.get(sent.size() - 1);
        assertEquals(JobEvent.Type.CANCELED, last.type());
        assertTrue(last.reason().startsWith("canceled by request; stopped after finetune step "), last.reason());
        assertTrue(sent.stream().noneMatch(e -> e.type() == JobEvent.Type.SUCCEEDED), () -> "no success: " + sent);

        // and the next job runs
        steps = 2;
        Record next = new Record();
        runner.submit(next.message, JobKind.FINETUNE).get(60, TimeUnit.SECONDS);
        assertTrue(next.acked.get());
        assertEquals(JobEvent.Type.SUCCEEDED, sent.get(sent.size() - 1).type());
    }

    @Test
    void aRecordOfAJobCanceledBeforeItStartedIsAcknowledgedAndSkipped() throws Exception {
        JobRunner runner = runner(Duration.ofSeconds(1), 2, 0);
        Record record = new Record();
        cancels.add(JobCancel.of(record.job.jobId(), record.job.identityId(), JobKind.FINETUNE, Instant.now(), "canceled by request"));
        runner.submit(record.message, JobKind.FINETUNE).get(5, TimeUnit.SECONDS);
        assertEquals(0, stageRuns.get());
        assertTrue(record.acked.get());
        assertEquals(List.of(), sent, "no event: the gateway knows");
    }

    @Test
    void afterShutdownNoJobStarts() throws Exception {
        JobRunner runner = runner(Duration.ofSeconds(1), 1, 0);
        runner.onShutdown(null);
        Record record = new Record();
        runner.submit(record.message, JobKind.FINETUNE).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, stageRuns.get());
        assertFalse(record.acked.get());
        assertEquals(List.of(), sent);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static WorkerConfig config(Duration grace) {
        return new WorkerConfig() {
            @Override
            public Storage storage() {
                return new Storage() {
                    public Optional<URI> endpoint() { return Optional.empty(); }
                    public String region() { return "us-east-1"; }
                    public Optional<String> accessKey() { return Optional.empty(); }
                    public Optional<String> secretKey() { return Optional.empty(); }
                    public String bucket() { return "unused"; }
                    public boolean pathStyle() { return true; }
                    public int attempts() { return 1; }
                };
            }

            @Override
            public Duration shutdownGrace() {
                return grace;
            }

            @Override
            public Model model() {
                return new Model() {
                    public Path dir() { return Path.of("unused"); }
                    public int cacheSize() { return 1; }
                };
            }

            @Override
            public Cancel cancel() {
                return new Cancel() {
                    public Duration retention() { return Duration.ofDays(7); }
                    public int maxRemembered() { return 1000; }
                    public Duration loadWait() { return Duration.ZERO; }
                };
            }

            @Override
            public Worker worker() {
                return new Worker() {
                    public Duration progressInterval() { return Duration.ZERO; }
                    public Optional<Path> workDir() { return Optional.empty(); }
                };
            }
        };
    }
}

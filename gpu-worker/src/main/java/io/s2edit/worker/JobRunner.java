package io.s2edit.worker;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.Messages;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Runs the jobs of all three channels one at a time on one thread (one GPU, one job), and owns
 * each job's Kafka record until the job has ended:
 *
 * <ol>
 *   <li>{@code started} (with the attempt), then {@code progress} per step (throttled), then
 *       {@code succeeded} with the output keys and metrics, {@code failed} with the reason, or
 *       {@code canceled} when the gateway canceled it meanwhile ({@link JobCancels}: the job stops
 *       at its next step or before uploading, whichever comes first);</li>
 *   <li>the record is acknowledged only after the terminal event reached the broker, so a crash
 *       at any point before leaves it uncommitted and Kafka redelivers it; the re-run overwrites
 *       its own keys;</li>
 *   <li>a record whose job the gateway has canceled before it started is acknowledged and
 *       skipped, with no event (the first job after start waits, boundedly, until the recent
 *       cancels have been read);</li>
 *   <li>a record that comes back after a rebalance (its partition revoked and handed back before
 *       the commit) is acknowledged without running again if its job already ended here;</li>
 *   <li>at SIGTERM no further job starts; the current one may finish within
 *       {@code s2edit.shutdown-grace}, else it is abandoned at its next step, without an
 *       event and without acknowledgement.</li>
 * </ol>
 */
@ApplicationScoped
public class JobRunner {

    private static final Logger LOG = Logger.getLogger(JobRunner.class);
    /** How long shutdown waits for a job that has ended to publish its terminal event and acknowledge. */
    private static final Duration FINISHING_WAIT = Duration.ofSeconds(15);

    @Inject
    WorkerConfig config;

    @Inject
    StageJobs stageJobs;

    @Inject
    JobEventsClient events;

    @Inject
    JobCancels cancels;

    @Inject
    MeterRegistry registry;

    private ExecutorService gpu;
    private volatile boolean draining;
    private final AtomicReference<Running> current = new AtomicReference<>();
    /** Records ({@code topic-partition@offset}) whose job ended here, most recent last; bounded. */
    private final Set<String> ended = Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 1000;
        }
    });

    /** The job on the GPU thread now. */
    static final class Running {
        static final int RUNNING = 0;
        static final int FINISHING = 1;
        static final int ABANDONED = 2;

        final JobMessage job;
        final AtomicInteger state = new AtomicInteger(RUNNING);
        final CountDownLatch ended = new CountDownLatch(1);

        Running(JobMessage job) {
            this.job = job;
        }

        boolean abandoned() {
            return state.get() == ABANDONED;
        }
    }

    @PostConstruct
    void init() {
        gpu = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "s2edit-gpu");
            t.setDaemon(true);
            return t;
        });
        registry.gauge("s2edit.worker.busy", current, c -> c.get() == null ? 0 : 1);
    }

    /**
     * Queues the job of {@code record} behind the one running; the stage completes when the job
     * has ended (acknowledged, or nacked when its terminal event could not be published) or was
     * left unacknowledged for redelivery.
     */
    public CompletableFuture<Void> submit(Message<String> record, JobKind kind) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (draining) {
            done.complete(null);
            return done;
        }
        try {
            gpu.execute(() -> run(record, kind, done));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done.complete(null);
        }
        return done;
    }

    /** The job on the GPU now, if any. */
    public JobMessage currentJob() {
        Running r = current.get();
        return r == null ? null : r.job;
    }

    private void run(Message<String> record, JobKind kind, CompletableFuture<Void> done) {
        if (draining) {
            done.complete(null); // not acknowledged: another worker takes it
            return;
        }
        JobMessage job;
        try {
            job = Messages.decode(record.getPayload(), kind.messageType());
        } catch (IllegalArgumentException e) {
            // nothing to report to: without a valid envelope there is no job to fail
            LOG.errorf("skipping a record on %s that is not a valid %s job: %s", kind.topic(), kind.wireName(), e.getMessage());
            registry.counter("s2edit.worker.jobs", "kind", kind.wireName(), "outcome", "invalid").increment();
            record.ack().whenComplete((ok, f) -> done.complete(null));
            return;
        }
        String recordId = recordId(record);
        if (recordId != null && ended.contains(recordId)) {
            // The same record again: a rebalance revoked its partition while the job ran here and
            // handed it back before the offset was committed. The job has ended (event published):
            // acknowledge this delivery, which commits the offset, instead of running it twice.
            LOG.infof("%s job %s: record %s was redelivered after a rebalance and already ended here; acknowledging",
                    kind.wireName(), job.jobId(), recordId);
            registry.counter("s2edit.worker.jobs", "kind", kind.wireName(), "outcome", "duplicate").increment();
            record.ack().whenComplete((ok, f) -> done.complete(null));
            return;
        }
        if (!cancels.awaitLoaded()) {
            LOG.warnf("the cancel history is not read yet; %s job %s runs on the cancels known so far", kind.wireName(),
                    job.jobId());
        }
        if (cancels.isCanceled(job.jobId())) {
            LOG.infof("%s job %s (attempt %d) was canceled before it started; acknowledging its record without running it",
                    kind.wireName(), job.jobId(), job.attempt());
            registry.counter("s2edit.worker.jobs", "kind", kind.wireName(), "outcome", "skipped").increment();
            if (recordId != null) {
                ended.add(recordId);
            }
            record.ack().whenComplete((ok, f) -> done.complete(null));
            return;
        }
        Running running = new Running(job);
        current.set(running);
        Timer.Sample sample = Timer.start(registry);
        long start = System.nanoTime();
        Path work = null;
        String outcome;
        JobEvent terminal;
        try {
            LOG.infof("%s job %s (identity %s, attempt %d) started", kind.wireName(), job.jobId(), job.identityId(), job.attempt());
            events.sendAndForget(JobEvent.started(job));
            work = workFolder(job);
            ProgressReporter progress = new ProgressReporter(job, events::sendAndForget, config.worker().progressInterval(),
                    running::abandoned, () -> cancels.isCanceled(job.jobId()), System::nanoTime);
            StageJobs.Result result = stageJobs.run(job, work, progress);
            if (cancels.isCanceled(job.jobId())) {
                // canceled while the outputs were uploading: they stay under the job's prefix, unreported
                throw new JobCanceledException("canceled by request after the stage ended; its outputs are not reported");
            }
            Map<String, Double> metrics = new HashMap<>(result.metrics());
            metrics.put("predict_time", (System.nanoTime() - start) / 1e9);
            terminal = JobEvent.succeeded(job, result.outputKeys(), metrics);
            outcome = "succeeded";
        } catch (JobAbandonedException e) {
            terminal = null;
            outcome = "abandoned";
        } catch (JobCanceledException e) {
            terminal = JobEvent.canceled(job, e.getMessage());
            outcome = "canceled";
        } catch (JobFailedException e) {
            terminal = JobEvent.failed(job, e.getMessage());
            outcome = "failed";
        } catch (IOException e) {
            terminal = JobEvent.failed(job, e.getMessage() == null ? e.toString() : e.getMessage());
            outcome = "failed";
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "%s job %s failed unexpectedly", kind.wireName(), job.jobId());
            terminal = JobEvent.failed(job, "internal error in the " + kind.wireName() + " stage: " + rootCause(e));
            outcome = "failed";
        } finally {
            deleteQuietly(work);
        }
        if (terminal != null && !running.state.compareAndSet(Running.RUNNING, Running.FINISHING)) {
            terminal = null; // abandoned at shutdown while the stage was ending
            outcome = "abandoned";
        }
        registry.counter("s2edit.worker.jobs", "kind", kind.wireName(), "outcome", outcome).increment();
        sample.stop(registry.timer("s2edit.worker.job.duration", "kind", kind.wireName(), "outcome", outcome));
        if (terminal == null) {
            LOG.warnf("%s job %s abandoned (worker shutting down); left unacknowledged for redelivery", kind.wireName(), job.jobId());
            finish(running, done);
            return;
        }
        if (terminal.type() == JobEvent.Type.FAILED) {
            LOG.warnf("%s job %s failed: %s", kind.wireName(), job.jobId(), terminal.reason());
        } else if (terminal.type() == JobEvent.Type.CANCELED) {
            LOG.infof("%s job %s %s after %.1f s", kind.wireName(), job.jobId(), terminal.reason(),
                    (System.nanoTime() - start) / 1e9);
        } else {
            LOG.infof("%s job %s succeeded in %.1f s", kind.wireName(), job.jobId(), (System.nanoTime() - start) / 1e9);
        }
        // The terminal event first, the acknowledgement after: a crash in between re-runs the job,
        // never loses its end.
        try {
            events.send(terminal).toCompletableFuture().get();
            if (recordId != null) {
                ended.add(recordId);
            }
            record.ack().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            LOG.errorf("could not publish the end of %s job %s (%s); nacking it so it is run again", kind.wireName(),
                    job.jobId(), cause);
            record.nack(cause);
        } finally {
            finish(running, done);
        }
    }

    private void finish(Running running, CompletableFuture<Void> done) {
        current.compareAndSet(running, null);
        done.complete(null);
        running.ended.countDown(); // last: shutdown waits for this, the record's fate is settled
    }

    /**
     * SIGTERM: start nothing new; let the current job end within the grace period, else abandon it
     * (it stops at its next step, unacknowledged).
     */
    void onShutdown(@Observes ShutdownEvent ev) {
        draining = true;
        Running running = current.get();
        if (running != null) {
            Duration grace = config.shutdownGrace();
            LOG.infof("shutting down: waiting up to %s for %s job %s to end", grace, running.job.kind().wireName(),
                    running.job.jobId());
            try {
                if (!running.ended.await(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    if (running.state.compareAndSet(Running.RUNNING, Running.ABANDONED)) {
                        LOG.warnf("%s job %s did not end within %s: abandoned, Kafka redelivers it", running.job.kind().wireName(),
                                running.job.jobId(), grace);
                    } else {
                        // it has just ended and is publishing its terminal event: let it acknowledge
                        running.ended.await(FINISHING_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.state.compareAndSet(Running.RUNNING, Running.ABANDONED);
            }
        }
        gpu.shutdown();
    }

    /** {@code topic-partition@offset} of a Kafka record; null for a message from elsewhere (tests). */
    private static String recordId(Message<String> record) {
        return record.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> m.getTopic() + "-" + m.getPartition() + "@" + m.getOffset())
                .orElse(null);
    }

    /** The innermost cause: what a person can act on ("no stages implementation"), not the injection wrapper. */
    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e.getClass().getSimpleName() + " caused by " + root;
    }

    private Path workFolder(JobMessage job) throws IOException {
        Path base = config.worker().workDir().orElse(Path.of(System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, "s2edit-" + job.kind().wireName() + "-" + job.jobId() + "-");
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debugf("could not delete %s: %s", dir, e.getMessage());
        }
    }
}

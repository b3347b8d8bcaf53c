package io.s2edit.worker;

import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.Messages;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Publishes {@link JobEvent}s on {@code s2edit.job-events} (channel {@code job-events}), keyed by
 * identity id like the jobs, so one identity's events stay in order on one partition.
 */
@ApplicationScoped
public class JobEventsClient {

    private static final Logger LOG = Logger.getLogger(JobEventsClient.class);

    @Inject
    @Channel("job-events")
    Emitter<String> emitter;

    /** Sends {@code event}; the stage completes when the broker has it (or fails with why not). */
    public CompletionStage<Void> send(JobEvent event) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        Message<String> message = Message.of(Messages.encode(event))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.key()).build())
                .withAck(() -> {
                    sent.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(failure -> {
                    sent.completeExceptionally(failure);
                    return CompletableFuture.completedFuture(null);
                });
        try {
            emitter.send(message);
        } catch (RuntimeException e) {
            // buffer full (broker away for long) or channel down
            sent.completeExceptionally(e);
        }
        return sent;
    }

    /** Sends {@code event} without waiting; a failure is logged (started and progress events are advisory). */
    public void sendAndForget(JobEvent event) {
        send(event).whenComplete((ok, failure) -> {
            if (failure != null) {
                LOG.warnf("could not publish the %s event of job %s: %s", event.type().wireName(), event.jobId(),
                        failure.getMessage());
            }
        });
    }
}

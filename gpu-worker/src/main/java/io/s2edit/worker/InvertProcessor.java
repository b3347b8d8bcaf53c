package io.s2edit.worker;

import io.s2edit.common.messages.JobKind;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/** {@code s2edit.jobs.invert} (channel {@code invert-jobs}): Null-text inversion, run by the {@link JobRunner}. */
@ApplicationScoped
public class InvertProcessor {

    @Inject
    JobRunner runner;

    /** Completes when the job has ended; the record is acknowledged by the runner after the terminal event. */
    @Incoming("invert-jobs")
    public CompletionStage<Void> process(Message<String> record) {
        return runner.submit(record, JobKind.INVERT);
    }
}

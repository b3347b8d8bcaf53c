package io.s2edit.worker;

import io.s2edit.common.messages.JobKind;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * The three job channels ({@code finetune-jobs}, {@code invert-jobs}, {@code edit-jobs} on
 * {@code s2edit.jobs.finetune}, {@code .invert}, {@code .edit}), each handing its records to the
 * {@link JobRunner}. Each returned stage completes when the job has ended; the runner acknowledges
 * the record after the terminal event.
 */
@ApplicationScoped
public class JobProcessors {

    @Inject
    JobRunner runner;

    /** Identity fine-tuning. */
    @Incoming("finetune-jobs")
    public CompletionStage<Void> fineTune(Message<String> record) {
        return runner.submit(record, JobKind.FINETUNE);
    }

    /** Null-text inversion. */
    @Incoming("invert-jobs")
    public CompletionStage<Void> invert(Message<String> record) {
        return runner.submit(record, JobKind.INVERT);
    }

    /** Prompt-to-Prompt editing. */
    @Incoming("edit-jobs")
    public CompletionStage<Void> edit(Message<String> record) {
        return runner.submit(record, JobKind.EDIT);
    }
}

package io.s2edit.gateway.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.micrometer.core.instrument.MeterRegistry;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.JobStatus;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.problems.ProblemType;
import io.s2edit.gateway.api.ApiException;
import io.s2edit.gateway.api.JobView;
import io.s2edit.gateway.api.JobViews;
import io.s2edit.gateway.outbox.OutboxEntity;
import io.s2edit.gateway.webhooks.WebhookEvents;
import io.s2edit.gateway.webhooks.WebhookService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The job state machine (ARCHITECTURE.md, "Job states"): creation and release of jobs, worker
 * events, cancellation, and the chain rules - a child is released (its outbox row written) when
 * its parent succeeds; a failed or canceled parent ends its descendants with the reason. Every
 * method runs inside the caller's transaction and returns the views of the jobs it changed, for
 * notification after commit.
 */
@ApplicationScoped
public class JobService {

    private static final Logger LOG = Logger.getLogger(JobService.class);

    @Inject
    WebhookService webhooks;

    @Inject
    JobViews views;

    @Inject
    MeterRegistry registry;

    /**
     * Persists a new queued job for {@code message}; releases it at once when it has no parent or
     * the parent has succeeded. Refuses a parent that failed or was canceled.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public JobEntity create(JobMessage message, JobEntity parent, String webhookUrl, List<String> webhookEvents) {
        if (parent != null && (parent.status == JobStatus.FAILED || parent.status == JobStatus.CANCELED)) {
            throw new ApiException(ProblemType.PARENT_NOT_USABLE, "the " + parent.kind.wireName() + " job " + parent.id
                    + " this depends on is " + parent.status.wireName()
                    + (parent.errorReason == null ? "" : ": " + parent.errorReason), "parent_id");
        }
        JobEntity j = new JobEntity();
        j.id = message.jobId();
        j.identityId = message.identityId();
        j.kind = message.kind();
        j.status = JobStatus.QUEUED;
        j.parentId = parent == null ? null : parent.id;
        j.attempt = message.attempt();
        j.message = Messages.encode(message);
        j.webhookUrl = webhookUrl;
        j.webhookEvents = webhookUrl == null ? null : String.join(",", webhookEvents);
        j.createdAt = Instant.now();
        j.persist();
        if (parent == null || parent.status == JobStatus.SUCCEEDED) {
            release(j);
        }
        registry.counter("s2edit.jobs.created", "kind", j.kind.wireName()).increment();
        return j;
    }

    /** Writes the job's outbox row: from here on the relay will publish it. */
    private void release(JobEntity j) {
        j.releasedAt = Instant.now();
        OutboxEntity.of(j.id, j.kind.topic(), j.identityId.toString(), j.message).persist();
    }

    /**
     * Applies a worker event. Ignored (empty result): unknown job, job already terminal, an
     * older attempt, a job not yet released, or an event whose kind or identity does not match.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public List<JobView> apply(JobEvent e) {
        JobEntity j = JobEntity.lock(e.jobId());
        String ignored = j == null ? "unknown-job"
                : j.status.terminal() ? "terminal"
                : e.attempt() < j.attempt ? "stale-attempt"
                : e.attempt() > j.attempt ? "future-attempt"
                : j.releasedAt == null ? "not-released"
                : j.kind != e.kind() || !j.identityId.equals(e.identityId()) ? "mismatch" : null;
        if (ignored != null) {
            registry.counter("s2edit.job_events.ignored", "reason", ignored).increment();
            LOG.debugf("ignoring %s event of job %s attempt %d: %s", e.type(), e.jobId(), e.attempt(), ignored);
            return List.of();
        }
        List<JobView> changed = new ArrayList<>();
        switch (e.type()) {
            case STARTED -> {
                boolean first = j.status == JobStatus.QUEUED;
                markRunning(j, e.at());
                // a redelivered job starts again: progress restarts
                j.progressStep = null;
                j.progressTotal = null;
                j.progressStage = null;
                if (first) {
                    webhooks.enqueue(j, WebhookEvents.START);
                }
            }
            case PROGRESS -> {
                if (j.status == JobStatus.QUEUED) {
                    markRunning(j, e.at());
                    webhooks.enqueue(j, WebhookEvents.START);
                }
                j.progressStep = e.progress().step();
                j.progressTotal = e.progress().total();
                j.progressStage = e.progress().stage();
                webhooks.enqueue(j, WebhookEvents.PROGRESS);
            }
            case SUCCEEDED -> {
                if (j.startedAt == null) {
                    j.startedAt = e.at();
                }
                j.status = JobStatus.SUCCEEDED;
                j.completedAt = Instant.now();
                j.outputs = Messages.encode(e.outputs());
                j.metrics = Messages.encode(e.metrics());
                webhooks.enqueue(j, WebhookEvents.COMPLETED);
                for (JobEntity child : JobEntity.children(j.id)) {
                    if (child.status == JobStatus.QUEUED && child.releasedAt == null) {
                        release(child);
                        changed.add(views.of(child));
                    }
                }
            }
            case FAILED -> {
                j.status = JobStatus.FAILED;
                j.completedAt = Instant.now();
                j.errorReason = e.reason();
                webhooks.enqueue(j, WebhookEvents.COMPLETED);
                endDescendants(j, JobStatus.FAILED, changed, new ArrayList<>());
            }
            case CANCELED -> {
                // Workers report canceled only for jobs this gateway canceled, which are terminal
                // here and ignored above; should one arrive for a live job, it ends as the worker says.
                endAsCanceled(j, e.reason());
                endDescendants(j, JobStatus.CANCELED, changed, new ArrayList<>());
            }
        }
        registry.counter("s2edit.job_events.applied", "type", e.type().wireName()).increment();
        changed.add(0, views.of(j));
        return changed;
    }

    private static void markRunning(JobEntity j, Instant at) {
        j.status = JobStatus.RUNNING;
        if (j.startedAt == null) {
            j.startedAt = at;
        }
    }

    /**
     * Cancels a job that has not ended, and its descendants. Every one of them that was released
     * (its job message is in the outbox, maybe published, maybe running on a worker) also gets a
     * {@link JobCancel} outbox row in this transaction: the relay publishes it on
     * {@code s2edit.jobs.cancel} (after Kafka returns, if it is away), the worker running the job
     * stops at its next step, and a worker that receives the job's record later skips it. A job
     * message not yet published is not published at all (the relay skips jobs that have ended);
     * its cancel still goes out, since an earlier relay round may have sent the job and crashed
     * before marking it. Unreleased descendants never reached Kafka and need no cancel.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public List<JobView> cancel(UUID id) {
        JobEntity j = JobEntity.lock(id);
        if (j == null) {
            throw ApiException.jobNotFound(id);
        }
        if (j.status.terminal()) {
            throw new ApiException(ProblemType.JOB_NOT_CANCELABLE, "job " + id + " has already ended: " + j.status.wireName(), "id");
        }
        endAsCanceled(j, "canceled by request");
        List<JobView> changed = new ArrayList<>();
        List<JobEntity> ended = new ArrayList<>();
        ended.add(j);
        endDescendants(j, JobStatus.CANCELED, changed, ended);
        for (JobEntity e : ended) {
            if (e.releasedAt != null) {
                JobCancel cancel = JobCancel.of(e.id, e.identityId, e.kind, e.completedAt, e.errorReason);
                OutboxEntity.of(e.id, cancel.topic(), cancel.key(), Messages.encode(cancel)).persist();
            }
        }
        changed.add(0, views.of(j));
        return changed;
    }

    private void endAsCanceled(JobEntity j, String reason) {
        j.status = JobStatus.CANCELED;
        j.completedAt = Instant.now();
        j.errorReason = reason;
        webhooks.enqueue(j, WebhookEvents.COMPLETED);
    }

    /** Ends every unfinished descendant of {@code parent} with a reason that names the parent's. */
    private void endDescendants(JobEntity parent, JobStatus status, List<JobView> changed, List<JobEntity> ended) {
        for (JobEntity child : JobEntity.children(parent.id)) {
            JobEntity c = JobEntity.lock(child.id);
            if (c.status.terminal()) {
                continue;
            }
            c.status = status;
            c.completedAt = Instant.now();
            c.errorReason = "parent " + parent.kind.wireName() + " job " + parent.id + " "
                    + parent.status.wireName() + ": " + parent.errorReason;
            webhooks.enqueue(c, WebhookEvents.COMPLETED);
            changed.add(views.of(c));
            ended.add(c);
            endDescendants(c, status, changed, ended);
        }
    }

    /** The object key of a succeeded job's output, or 404. */
    public static String outputKey(JobEntity j, String name) {
        Map<String, String> outputs;
        try {
            outputs = j.outputs == null ? Map.of() : Messages.mapper().readValue(j.outputs, new TypeReference<Map<String, String>>() { });
        } catch (java.io.IOException e) {
            throw new IllegalStateException("outputs column of job " + j.id + " is not a JSON object", e);
        }
        String key = outputs.get(name);
        if (key == null || !ArtifactKeys.isOutputOf(key, j.kind, j.identityId, j.id)) {
            throw new ApiException(ProblemType.OUTPUT_NOT_FOUND, "job " + j.id + " has no output \"" + name + "\"; it has "
                    + outputs.keySet(), "name");
        }
        return key;
    }
}

package io.s2edit.common.messages;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.Require;

import java.time.Instant;
import java.util.UUID;

/**
 * Topic {@code s2edit.jobs.cancel} (key = identity id): the gateway has canceled a job that it had
 * released to a job topic. Every worker reads every cancel: one running the job stops it at its
 * next step and reports {@code canceled}; one that receives the job's record later acknowledges
 * it without running it. Written through the gateway's outbox in the transaction that cancels
 * the job, so a cancel accepted while Kafka is away goes out when it is back.
 *
 * <p>Versioned like the job messages ({@link JobMessage#SCHEMA_VERSION}): readers ignore unknown
 * fields and refuse a newer version.
 *
 * @param kind       the canceled job's kind (for logs; the job id alone identifies it)
 * @param canceledAt when the gateway canceled it; workers forget a cancel some time after
 * @param reason     why, for a person ({@code canceled by request})
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobCancel(int schemaVersion, UUID jobId, UUID identityId, JobKind kind, Instant canceledAt, String reason) {

    public JobCancel {
        if (schemaVersion < 1 || schemaVersion > JobMessage.SCHEMA_VERSION) {
            throw new InvalidValueException("schema_version", "schema_version " + schemaVersion
                    + " is not readable here; this reader understands 1.." + JobMessage.SCHEMA_VERSION);
        }
        Require.present("job_id", jobId);
        Require.present("identity_id", identityId);
        Require.present("kind", kind);
        Require.present("canceled_at", canceledAt);
        Require.notBlank("reason", reason);
    }

    public static JobCancel of(UUID jobId, UUID identityId, JobKind kind, Instant canceledAt, String reason) {
        return new JobCancel(JobMessage.SCHEMA_VERSION, jobId, identityId, kind, canceledAt, reason);
    }

    public String topic() {
        return Topics.CANCEL;
    }

    /** The record key: the identity id, like the job's own record. */
    public String key() {
        return identityId.toString();
    }
}

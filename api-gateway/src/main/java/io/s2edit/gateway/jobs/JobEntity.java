package io.s2edit.gateway.jobs;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobStatus;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Converter;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.LockModeType;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One job: a fine-tune, inversion or edit of one identity. {@code message} is the job message
 * sent to the worker; {@code releasedAt} is null while the job waits for its parent.
 */
@Entity
@Table(name = "jobs")
public class JobEntity extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "identity_id", nullable = false)
    public UUID identityId;

    @Convert(converter = KindConverter.class)
    @Column(nullable = false)
    public JobKind kind;

    @Convert(converter = StatusConverter.class)
    @Column(nullable = false)
    public JobStatus status;

    @Column(name = "parent_id")
    public UUID parentId;

    @Column(nullable = false)
    public int attempt;

    @Column(nullable = false)
    public String message;

    @Column(name = "released_at")
    public Instant releasedAt;

    @Column(name = "progress_step")
    public Integer progressStep;

    @Column(name = "progress_total")
    public Integer progressTotal;

    @Column(name = "progress_stage")
    public String progressStage;

    /** JSON object of numbers. */
    public String metrics;

    /** JSON object: output name to object key. */
    public String outputs;

    @Column(name = "error_reason")
    public String errorReason;

    @Column(name = "webhook_url")
    public String webhookUrl;

    /** Comma-separated subset of start,progress,completed. */
    @Column(name = "webhook_events")
    public String webhookEvents;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "completed_at")
    public Instant completedAt;

    @Version
    public long version;

    public static JobEntity lock(UUID id) {
        return findById(id, LockModeType.PESSIMISTIC_WRITE);
    }

    public static List<JobEntity> children(UUID parentId) {
        return list("parentId = ?1 order by createdAt, id", parentId);
    }

    public boolean wantsWebhook(String event) {
        return webhookUrl != null && webhookEvents != null && List.of(webhookEvents.split(",")).contains(event);
    }

    @Converter
    public static class KindConverter implements AttributeConverter<JobKind, String> {
        @Override
        public String convertToDatabaseColumn(JobKind kind) {
            return kind == null ? null : kind.wireName();
        }

        @Override
        public JobKind convertToEntityAttribute(String s) {
            return s == null ? null : JobKind.fromWire(s);
        }
    }

    @Converter
    public static class StatusConverter implements AttributeConverter<JobStatus, String> {
        @Override
        public String convertToDatabaseColumn(JobStatus status) {
            return status == null ? null : status.wireName();
        }

        @Override
        public JobStatus convertToEntityAttribute(String s) {
            return s == null ? null : JobStatus.fromWire(s);
        }
    }
}

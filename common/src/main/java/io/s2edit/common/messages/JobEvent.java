package io.s2edit.common.messages;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.Require;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Topic {@code s2edit.job-events} (key = identity id): what a worker reports about one attempt of
 * one job. The gateway ignores events of jobs that have ended and of older attempts.
 *
 * <ul>
 *   <li>{@code started}: the worker took the job;</li>
 *   <li>{@code progress}: {@code progress = {step, total, stage}}, 0 <= step <= total;</li>
 *   <li>{@code succeeded}: {@code outputs} maps output names to object keys, each directly under
 *       the job's prefix ({@link ArtifactKeys#jobPrefix}); {@code metrics} are numbers such as
 *       {@code predict_time} seconds;</li>
 *   <li>{@code failed}: {@code reason} says why, for a person.</li>
 * </ul>
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobEvent(int schemaVersion, UUID jobId, UUID identityId, JobKind kind, int attempt, Type type,
                       Instant at, Progress progress, Map<String, String> outputs, Map<String, Double> metrics,
                       String reason) {

    public enum Type {
        STARTED, PROGRESS, SUCCEEDED, FAILED, CANCELED;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Type fromWire(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * @param step  steps done, 0..total
     * @param total steps of this stage
     * @param stage e.g. {@code finetune}, {@code inversion}, {@code null-text}, {@code edit}
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Progress(int step, int total, String stage) {
        public Progress {
            Require.between("progress.total", total, 1, 1_000_000);
            Require.between("progress.step", step, 0, total);
            Require.notBlank("progress.stage", stage);
        }
    }

    public JobEvent {
        JobMessage.checkEnvelope(schemaVersion, jobId, identityId, attempt);
        Require.present("kind", kind);
        Require.present("type", type);
        at = at == null ? Instant.now() : at;
        outputs = outputs == null ? Map.of() : Map.copyOf(outputs);
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        switch (type) {
            case PROGRESS -> Require.present("progress", progress);
            case SUCCEEDED -> {
                for (Map.Entry<String, String> e : outputs.entrySet()) {
                    if (!ArtifactKeys.isOutputOf(e.getValue(), kind, identityId, jobId)
                            || !ArtifactKeys.outputName(e.getValue()).equals(e.getKey())) {
                        throw new InvalidValueException("outputs", "output \"" + e.getKey() + "\" -> \"" + e.getValue()
                                + "\" must be a file named like the output directly under "
                                + ArtifactKeys.jobPrefix(kind, identityId, jobId));
                    }
                }
            }
            case FAILED, CANCELED -> Require.notBlank("reason", reason);
            case STARTED -> { }
        }
    }

    public static JobEvent started(JobMessage job) {
        return new JobEvent(JobMessage.SCHEMA_VERSION, job.jobId(), job.identityId(), job.kind(), job.attempt(),
                Type.STARTED, Instant.now(), null, null, null, null);
    }

    public static JobEvent progress(JobMessage job, int step, int total, String stage) {
        return new JobEvent(JobMessage.SCHEMA_VERSION, job.jobId(), job.identityId(), job.kind(), job.attempt(),
                Type.PROGRESS, Instant.now(), new Progress(step, total, stage), null, null, null);
    }

    /** {@code outputKeys} are object keys; each is published under its file name. */
    public static JobEvent succeeded(JobMessage job, Iterable<String> outputKeys, Map<String, Double> metrics) {
        Map<String, String> outputs = new java.util.LinkedHashMap<>();
        outputKeys.forEach(k -> outputs.put(ArtifactKeys.outputName(k), k));
        return new JobEvent(JobMessage.SCHEMA_VERSION, job.jobId(), job.identityId(), job.kind(), job.attempt(),
                Type.SUCCEEDED, Instant.now(), null, outputs, metrics, null);
    }

    public static JobEvent failed(JobMessage job, String reason) {
        return new JobEvent(JobMessage.SCHEMA_VERSION, job.jobId(), job.identityId(), job.kind(), job.attempt(),
                Type.FAILED, Instant.now(), null, null, null, reason);
    }

    public static JobEvent canceled(JobMessage job, String reason) {
        return new JobEvent(JobMessage.SCHEMA_VERSION, job.jobId(), job.identityId(), job.kind(), job.attempt(),
                Type.CANCELED, Instant.now(), null, null, null, reason);
    }

    /** {@code succeeded}, {@code failed} or {@code canceled}: the last event of an attempt. */
    public boolean terminal() {
        return type == Type.SUCCEEDED || type == Type.FAILED || type == Type.CANCELED;
    }

    public String key() {
        return identityId.toString();
    }
}

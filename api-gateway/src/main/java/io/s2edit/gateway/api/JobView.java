package io.s2edit.gateway.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobStatus;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A job as the API shows it, in the style of Replicate's predictions.
 *
 * @param parentId    the job this one waits for (fine-tune for an inversion, inversion for an edit)
 * @param waiting     true while the job is queued behind an unfinished parent
 * @param input       what the worker was asked to do (the job message: prompts, options, seed)
 * @param outputs     output name to download URL, once succeeded
 * @param metrics     numbers reported by the worker, e.g. {@code predict_time} in seconds
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobView(UUID id, JobKind kind, JobStatus status, UUID identityId, UUID parentId, boolean waiting,
                      int attempt, Instant createdAt, Instant startedAt, Instant completedAt, Progress progress,
                      Map<String, Double> metrics, Error error, JsonNode input, Map<String, String> outputs, Urls urls,
                      String webhook, List<String> webhookEventsFilter) {

    /** Steps done of the current stage. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Progress(int step, int total, String stage) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)

    public record Error(String reason) {
    }

    /**
     * @param get    this resource
     * @param cancel POST to cancel
     * @param stream Server-Sent Events of status and progress
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Urls(String get, String cancel, String stream) {
    }
}

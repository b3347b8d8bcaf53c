package io.s2edit.gateway.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.UUID;

/**
 * The answer to every job-creating POST: the identity and the jobs created, parents first
 * (e.g. fine-tune, inversion, edits for a whole chain).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SubmissionView(UUID identityId, List<JobView> jobs) {
}

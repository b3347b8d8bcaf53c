package io.s2edit.common.messages;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.prompts.PromptRules;
import io.s2edit.common.problems.Require;

import java.util.UUID;

/**
 * Topic {@code s2edit.jobs.invert}: Null-text inversion of the source image under the model of
 * fine-tune job {@code fineTuneJobId}, conditioned on the enhanced source prompt. Writes
 * {@code identities/{identityId}/invert/{jobId}/latents.safetensors} (x_T and the per-step null
 * embeddings).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
public record InvertJob(int schemaVersion, UUID jobId, UUID identityId, int attempt, UUID fineTuneJobId,
                        String sourcePrompt, InvertOptions options) implements JobMessage {

    public InvertJob {
        JobMessage.checkEnvelope(schemaVersion, jobId, identityId, attempt);
        Require.present("fine_tune_job_id", fineTuneJobId);
        PromptRules.requireIdentityToken("source_prompt", sourcePrompt);
        Require.present("options", options);
    }

    public static InvertJob create(UUID jobId, UUID identityId, UUID fineTuneJobId, String sourcePrompt, InvertOptions options) {
        return new InvertJob(SCHEMA_VERSION, jobId, identityId, 1, fineTuneJobId, sourcePrompt, options);
    }

    @Override
    @JsonIgnore
    public JobKind kind() {
        return JobKind.INVERT;
    }

    public InvertJob withAttempt(int newAttempt) {
        return new InvertJob(schemaVersion, jobId, identityId, newAttempt, fineTuneJobId, sourcePrompt, options);
    }
}

package io.s2edit.common.messages;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.prompts.PromptRules;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.Require;

import java.util.UUID;

/**
 * Topic {@code s2edit.jobs.edit}: denoise from the inversion {@code inversionJobId} with the
 * model of {@code fineTuneJobId}, Prompt-to-Prompt from the source prompt to each target
 * prompt. Writes {@code identities/{identityId}/edits/{jobId}/{n}.png}.
 *
 * @param options steps, guidance and seed are always set and equal the inversion's steps and
 *                guidance
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
public record EditJob(int schemaVersion, UUID jobId, UUID identityId, int attempt, UUID fineTuneJobId,
                      UUID inversionJobId, String sourcePrompt, String objectWord, EditOptions options) implements JobMessage {

    public EditJob {
        JobMessage.checkEnvelope(schemaVersion, jobId, identityId, attempt);
        Require.present("fine_tune_job_id", fineTuneJobId);
        Require.present("inversion_job_id", inversionJobId);
        PromptRules.requireIdentityToken("source_prompt", sourcePrompt);
        PromptRules.requireWordOnce("source_prompt", sourcePrompt, "object_word", objectWord);
        Require.present("options", options);
        if (options.steps() == null || options.guidance() == null || options.seed() == null) {
            throw new InvalidValueException("options", "an edit job message must carry steps, guidance and seed");
        }
    }

    public static EditJob create(UUID jobId, UUID identityId, UUID fineTuneJobId, UUID inversionJobId,
                                 String sourcePrompt, String objectWord, EditOptions options) {
        return new EditJob(SCHEMA_VERSION, jobId, identityId, 1, fineTuneJobId, inversionJobId, sourcePrompt, objectWord, options);
    }

    @Override
    @JsonIgnore
    public JobKind kind() {
        return JobKind.EDIT;
    }

    public EditJob withAttempt(int newAttempt) {
        return new EditJob(schemaVersion, jobId, identityId, newAttempt, fineTuneJobId, inversionJobId, sourcePrompt,
                objectWord, options);
    }
}

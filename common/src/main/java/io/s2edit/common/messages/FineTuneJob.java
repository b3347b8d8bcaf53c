package io.s2edit.common.messages;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.prompts.PromptRules;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.Require;

import java.util.UUID;

/**
 * Topic {@code s2edit.jobs.finetune}: fine-tune the UNet and text encoder on the source image
 * with the enhanced prompt (Liu et al., Sec. 3.1-3.2). Writes
 * {@code identities/{identityId}/finetune/{jobId}/token-embeddings.safetensors},
 * {@code weight-delta.safetensors} and {@code object-mask.png}.
 *
 * @param sourcePrompt   enhanced source prompt P~, [I] exactly once ("a photo of a [I] lady")
 * @param objectWord     the word of P naming the object ("lady"), exactly once
 * @param sourceImageKey {@code identities/{identityId}/source.png}
 * @param maskKey        an uploaded object mask ({@code identities/{identityId}/mask.png}), or
 *                       null to take M_obj from the object word's cross-attention
 * @param composition    the [A] reference image and prompt, or null for a single identity
 * @param options        hyper-parameters; {@code seed} is always set
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonIgnoreProperties(ignoreUnknown = true)
public record FineTuneJob(int schemaVersion, UUID jobId, UUID identityId, int attempt, String sourcePrompt,
                          String objectWord, String sourceImageKey, String maskKey, Composition composition,
                          FineTuneOptions options) implements JobMessage {

    public FineTuneJob {
        JobMessage.checkEnvelope(schemaVersion, jobId, identityId, attempt);
        PromptRules.requireIdentityToken("source_prompt", sourcePrompt);
        PromptRules.requireFitsClip("source_prompt", sourcePrompt);
        PromptRules.requireWordOnce("source_prompt", sourcePrompt, "object_word", objectWord);
        Require.notBlank("source_image_key", sourceImageKey);
        Require.that(sourceImageKey.startsWith(ArtifactKeys.identityPrefix(identityId)), "source_image_key",
                "source_image_key must lie under " + ArtifactKeys.identityPrefix(identityId) + ", got " + sourceImageKey);
        Require.present("options", options);
        if (options.seed() == null) {
            throw new InvalidValueException("options.seed", "a fine-tune job message must carry a seed");
        }
    }

    /** A first attempt with the standard key layout. */
    public static FineTuneJob create(UUID jobId, UUID identityId, String sourcePrompt, String objectWord,
                                     boolean withMask, Composition composition, FineTuneOptions options) {
        return new FineTuneJob(SCHEMA_VERSION, jobId, identityId, 1, sourcePrompt, objectWord,
                ArtifactKeys.source(identityId), withMask ? ArtifactKeys.mask(identityId) : null, composition, options);
    }

    @Override
    @JsonIgnore
    public JobKind kind() {
        return JobKind.FINETUNE;
    }

    public FineTuneJob withAttempt(int newAttempt) {
        return new FineTuneJob(schemaVersion, jobId, identityId, newAttempt, sourcePrompt, objectWord, sourceImageKey,
                maskKey, composition, options);
    }
}

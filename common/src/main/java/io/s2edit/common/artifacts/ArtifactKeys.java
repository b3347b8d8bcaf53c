package io.s2edit.common.artifacts;

import io.s2edit.common.messages.JobKind;

import java.util.UUID;

/**
 * The object-storage key layout (ARCHITECTURE.md, "Artifacts"), one bucket:
 *
 * <pre>
 * identities/{identityId}/source.png
 * identities/{identityId}/mask.png                                      optional object mask (upload)
 * identities/{identityId}/reference.png                                 compositions: the [A] image
 * identities/{identityId}/finetune/{jobId}/token-embeddings.safetensors
 * identities/{identityId}/finetune/{jobId}/weight-delta.safetensors
 * identities/{identityId}/finetune/{jobId}/object-mask.png
 * identities/{identityId}/invert/{jobId}/latents.safetensors
 * identities/{identityId}/edits/{jobId}/{n}.png
 * </pre>
 *
 * Keys derive from ids only, so a re-run of a job overwrites its own artifacts. A job's outputs
 * all lie under {@link #jobPrefix}; the file name is the output's name in the REST API.
 */
public final class ArtifactKeys {

    public static final String TOKEN_EMBEDDINGS = "token-embeddings.safetensors";
    public static final String WEIGHT_DELTA = "weight-delta.safetensors";
    public static final String OBJECT_MASK = "object-mask.png";
    public static final String LATENTS = "latents.safetensors";

    private ArtifactKeys() {
    }

    public static String identityPrefix(UUID identityId) {
        return "identities/" + identityId + "/";
    }

    public static String source(UUID identityId) {
        return identityPrefix(identityId) + "source.png";
    }

    public static String mask(UUID identityId) {
        return identityPrefix(identityId) + "mask.png";
    }

    public static String reference(UUID identityId) {
        return identityPrefix(identityId) + "reference.png";
    }

    /** {@code identities/{identityId}/finetune|invert|edits/{jobId}/}. */
    public static String jobPrefix(JobKind kind, UUID identityId, UUID jobId) {
        String folder = switch (kind) {
            case FINETUNE -> "finetune";
            case INVERT -> "invert";
            case EDIT -> "edits";
        };
        return identityPrefix(identityId) + folder + "/" + jobId + "/";
    }

    public static String tokenEmbeddings(UUID identityId, UUID fineTuneJobId) {
        return jobPrefix(JobKind.FINETUNE, identityId, fineTuneJobId) + TOKEN_EMBEDDINGS;
    }

    public static String weightDelta(UUID identityId, UUID fineTuneJobId) {
        return jobPrefix(JobKind.FINETUNE, identityId, fineTuneJobId) + WEIGHT_DELTA;
    }

    public static String objectMask(UUID identityId, UUID fineTuneJobId) {
        return jobPrefix(JobKind.FINETUNE, identityId, fineTuneJobId) + OBJECT_MASK;
    }

    public static String latents(UUID identityId, UUID invertJobId) {
        return jobPrefix(JobKind.INVERT, identityId, invertJobId) + LATENTS;
    }

    /** The n-th edited image (n counts target prompts from 0). */
    public static String editImage(UUID identityId, UUID editJobId, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("edit image index must be >= 0, got " + n);
        }
        return jobPrefix(JobKind.EDIT, identityId, editJobId) + n + ".png";
    }

    /** The name an output is downloaded by: the key's last segment, e.g. {@code 0.png}. */
    public static String outputName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    /** Whether {@code key} is a file directly under the job's prefix (no traversal, no sub-folders). */
    public static boolean isOutputOf(String key, JobKind kind, UUID identityId, UUID jobId) {
        String prefix = jobPrefix(kind, identityId, jobId);
        if (key == null || !key.startsWith(prefix)) {
            return false;
        }
        String name = key.substring(prefix.length());
        return !name.isEmpty() && !name.contains("/") && !name.equals(".") && !name.equals("..");
    }
}

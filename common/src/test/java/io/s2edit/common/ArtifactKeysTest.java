package io.s2edit.common;

import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.JobKind;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArtifactKeysTest {

    private static final UUID ID = UUID.fromString("00000000-0000-0000-0000-00000000000a");
    private static final UUID JOB = UUID.fromString("00000000-0000-0000-0000-00000000000b");

    @Test
    void layoutMatchesArchitecture() {
        String i = "identities/00000000-0000-0000-0000-00000000000a/";
        String j = "00000000-0000-0000-0000-00000000000b/";
        assertEquals(i + "source.png", ArtifactKeys.source(ID));
        assertEquals(i + "finetune/" + j + "token-embeddings.safetensors", ArtifactKeys.tokenEmbeddings(ID, JOB));
        assertEquals(i + "finetune/" + j + "weight-delta.safetensors", ArtifactKeys.weightDelta(ID, JOB));
        assertEquals(i + "finetune/" + j + "object-mask.png", ArtifactKeys.objectMask(ID, JOB));
        assertEquals(i + "invert/" + j + "latents.safetensors", ArtifactKeys.latents(ID, JOB));
        assertEquals(i + "edits/" + j + "3.png", ArtifactKeys.editImage(ID, JOB, 3));
    }

    @Test
    void outputsMustBeFilesDirectlyUnderTheJobPrefix() {
        assertTrue(ArtifactKeys.isOutputOf(ArtifactKeys.editImage(ID, JOB, 0), JobKind.EDIT, ID, JOB));
        assertFalse(ArtifactKeys.isOutputOf(ArtifactKeys.source(ID), JobKind.EDIT, ID, JOB));
        assertFalse(ArtifactKeys.isOutputOf(ArtifactKeys.jobPrefix(JobKind.EDIT, ID, JOB) + "x/0.png", JobKind.EDIT, ID, JOB));
        assertFalse(ArtifactKeys.isOutputOf(ArtifactKeys.latents(ID, JOB), JobKind.EDIT, ID, JOB));
        assertEquals("0.png", ArtifactKeys.outputName(ArtifactKeys.editImage(ID, JOB, 0)));
    }
}

package io.s2edit.common;

import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.EditJob;
import io.s2edit.common.messages.EditOptions;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.FineTuneOptions;
import io.s2edit.common.messages.InvertJob;
import io.s2edit.common.messages.InvertOptions;
import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.messages.Topics;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.ProblemType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessagesTest {

    private static final UUID IDENTITY = UUID.randomUUID();
    private static final UUID FT = UUID.randomUUID();
    private static final UUID INV = UUID.randomUUID();

    @Test
    void optionDefaultsAreThePapers() {
        FineTuneOptions ft = Messages.decode("{}", FineTuneOptions.class);
        assertEquals(200, ft.steps());
        assertEquals(2e-6, ft.learningRate());
        assertEquals(0.1, ft.semanticLossWeight());
        assertEquals(0.3, ft.maskThreshold());
        assertEquals(50, ft.maskSteps());
        assertTrue(ft.semanticLoss() && ft.spatialControl() && ft.identityFineTune());
        assertFalse(Messages.decode("{\"identity_fine_tune\":false}", FineTuneOptions.class).identityFineTune());
        InvertOptions inv = Messages.decode("{}", InvertOptions.class);
        assertEquals(50, inv.steps());
        assertEquals(5.0, inv.guidance());
        assertEquals(10, inv.innerSteps());
        EditOptions ed = Messages.decode("{\"target_prompts\":[\"a [I] lady with bangs\"]}", EditOptions.class);
        assertEquals(0.8, ed.crossReplaceSteps());
        assertEquals(0.4, ed.selfReplaceSteps());
        assertEquals(List.of(), ed.reweight());
    }

    @Test
    void jobMessagesRoundTripOnTheirTopics() {
        FineTuneJob ft = FineTuneJob.create(FT, IDENTITY, "a photo of a [I] lady", "lady", true, null,
                FineTuneOptions.defaults().withSeed(42));
        InvertJob inv = InvertJob.create(INV, IDENTITY, FT, ft.sourcePrompt(), InvertOptions.defaults());
        EditOptions opts = new EditOptions(List.of("a photo of a [I] lady with bangs"), null, 0.5,
                List.of(new EditOptions.Reweight("bangs", 2.0)), new EditOptions.LocalBlend(List.of("bangs"), null),
                null, null, null).resolved(50, 5.0, 7);
        EditJob edit = EditJob.create(UUID.randomUUID(), IDENTITY, FT, INV, ft.sourcePrompt(), "lady", opts);
        for (JobMessage m : List.of(ft, inv, edit)) {
            String json = Messages.encode(m);
            assertEquals(m, Messages.decodeJob(m.topic(), json), json);
            assertEquals(IDENTITY.toString(), m.key());
        }
        assertEquals(Topics.FINETUNE, ft.topic());
        assertTrue(Messages.encode(ft).contains("\"schema_version\":1"));
        assertTrue(Messages.encode(ft).contains("\"mask_key\":\"" + ArtifactKeys.mask(IDENTITY) + "\""));
    }

    @Test
    void unknownFieldsAreIgnoredAndNewerVersionsRefused() throws Exception {
        FineTuneJob ft = FineTuneJob.create(FT, IDENTITY, "a [I] dog", "dog", false, null, FineTuneOptions.defaults().withSeed(1));
        JsonNode node = Messages.mapper().readTree(Messages.encode(ft));
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("added_later", "x");
        assertEquals(ft, Messages.decode(node.toString(), FineTuneJob.class));
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("schema_version", 2);
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> Messages.decode(node.toString(), FineTuneJob.class));
        assertEquals("schema_version", e.field());
    }

    @Test
    void maskAndInnerStepsAreOptionalAndChecked() {
        // a message written before the fields existed reads with the paper's values
        String older = "{\"schema_version\":1,\"job_id\":\"" + INV + "\",\"identity_id\":\"" + IDENTITY + "\",\"attempt\":1,"
                + "\"fine_tune_job_id\":\"" + FT + "\",\"source_prompt\":\"a [I] dog\",\"options\":{\"steps\":20,\"guidance\":4.0}}";
        InvertJob inv = Messages.decode(older, InvertJob.class);
        assertEquals(new InvertOptions(20, 4.0, 10), inv.options());
        assertEquals(new FineTuneOptions(null, null, 3L, null, null, null, null, null, 50),
                Messages.decode("{\"seed\":3}", FineTuneOptions.class));
        // set values round-trip through a job message
        FineTuneJob ft = FineTuneJob.create(FT, IDENTITY, "a [I] dog", "dog", false, null,
                Messages.decode("{\"mask_steps\":3,\"seed\":1}", FineTuneOptions.class));
        assertEquals(3, ft.options().maskSteps());
        assertTrue(Messages.encode(ft).contains("\"mask_steps\":3"), Messages.encode(ft));
        assertEquals(ft, Messages.decode(Messages.encode(ft), FineTuneJob.class));
        InvertJob two = InvertJob.create(INV, IDENTITY, FT, "a [I] dog", new InvertOptions(null, null, 2));
        assertTrue(Messages.encode(two).contains("\"inner_steps\":2"), Messages.encode(two));
        assertEquals(two, Messages.decode(Messages.encode(two), InvertJob.class));
        assertEquals(0, Messages.decode("{\"inner_steps\":0}", InvertOptions.class).innerSteps(), "0: plain DDIM inversion");
        // out of range: the error names the field and the range
        InvalidValueException e = assertThrows(InvalidValueException.class,
                () -> Messages.decode("{\"mask_steps\":0}", FineTuneOptions.class));
        assertEquals("mask_steps", e.field());
        assertTrue(e.getMessage().contains("mask_steps must be between 1 and 1000, got 0"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> Messages.decode("{\"inner_steps\":101}", InvertOptions.class));
        assertEquals("inner_steps", e.field());
        assertTrue(e.getMessage().contains("inner_steps must be between 0 and 100, got 101"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> new InvertOptions(101, null, null));
        assertTrue(e.getMessage().contains("steps must be between 1 and 100, got 101"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> Messages.decode("{\"inner_steps\":-1}", InvertOptions.class));
        assertEquals("inner_steps", e.field());
    }

    @Test
    void compactConstructorsTeach() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> Messages.decode(
                "{\"steps\":0}", FineTuneOptions.class));
        assertEquals("steps", e.field());
        assertTrue(e.getMessage().contains("between 1 and 5000"), e.getMessage());
        e = assertThrows(InvalidValueException.class, () -> Messages.decode(
                "{\"target_prompts\":[\"a lady with bangs\"]}", EditOptions.class));
        assertEquals(ProblemType.IDENTITY_TOKEN_MISSING, e.type());
        assertEquals("target_prompts[0]", e.field());
        e = assertThrows(InvalidValueException.class, () -> Messages.decode("{}", EditOptions.class));
        assertEquals(ProblemType.MISSING_FIELD, e.type());
        e = assertThrows(InvalidValueException.class, () -> FineTuneJob.create(FT, IDENTITY, "a [I] dog", "dog", false, null,
                FineTuneOptions.defaults()));
        assertEquals("options.seed", e.field());
        assertThrows(IllegalArgumentException.class, () -> Messages.decode("{not json", FineTuneOptions.class));
    }

    @Test
    void eventsValidatePerType() {
        InvertJob inv = InvertJob.create(INV, IDENTITY, FT, "a [I] dog", InvertOptions.defaults());
        JobEvent p = JobEvent.progress(inv, 3, 50, "null-text");
        assertEquals(p, Messages.decode(Messages.encode(p), JobEvent.class));
        assertTrue(Messages.encode(p).contains("\"type\":\"progress\""));
        JobEvent ok = JobEvent.succeeded(inv, List.of(ArtifactKeys.latents(IDENTITY, INV)), Map.of("predict_time", 1.5));
        assertEquals(Map.of("latents.safetensors", ArtifactKeys.latents(IDENTITY, INV)), ok.outputs());
        assertEquals(ok, Messages.decode(Messages.encode(ok), JobEvent.class));
        assertEquals(JobKind.INVERT, ok.kind());
        // an output outside the job's folder is refused
        assertThrows(InvalidValueException.class, () -> JobEvent.succeeded(inv, List.of(ArtifactKeys.source(IDENTITY)), null));
        assertThrows(InvalidValueException.class, () -> JobEvent.failed(inv, " "));
        assertThrows(InvalidValueException.class, () -> JobEvent.progress(inv, 51, 50, "x"));
        assertFalse(Messages.encode(JobEvent.started(inv)).contains("reason"));
        JobEvent canceled = JobEvent.canceled(inv, "canceled at null-text step 3/50");
        assertTrue(Messages.encode(canceled).contains("\"type\":\"canceled\""));
        assertEquals(canceled, Messages.decode(Messages.encode(canceled), JobEvent.class));
        assertTrue(canceled.terminal());
        assertFalse(p.terminal());
        assertThrows(InvalidValueException.class, () -> JobEvent.canceled(inv, null));
    }

    @Test
    void cancelsRoundTripAndValidate() {
        JobCancel c = JobCancel.of(INV, IDENTITY, JobKind.INVERT, java.time.Instant.parse("2025-01-02T03:04:05Z"),
                "canceled by request");
        String json = Messages.encode(c);
        assertEquals("{\"schema_version\":1,\"job_id\":\"" + INV + "\",\"identity_id\":\"" + IDENTITY
                + "\",\"kind\":\"invert\",\"canceled_at\":\"2025-01-02T03:04:05Z\",\"reason\":\"canceled by request\"}", json);
        assertEquals(c, Messages.decode(json, JobCancel.class));
        assertEquals(Topics.CANCEL, c.topic());
        assertEquals(IDENTITY.toString(), c.key());
        InvalidValueException newer = assertThrows(InvalidValueException.class,
                () -> Messages.decode(json.replace("\"schema_version\":1", "\"schema_version\":2"), JobCancel.class));
        assertEquals("schema_version", newer.field());
        InvalidValueException noJob = assertThrows(InvalidValueException.class,
                () -> Messages.decode(json.replace("\"job_id\":\"" + INV + "\",", ""), JobCancel.class));
        assertEquals("job_id", noJob.field());
        assertThrows(IllegalArgumentException.class, () -> Messages.decode("[1]", JobCancel.class));
    }
}

package io.s2edit.gateway.api;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.Composition;
import io.s2edit.common.messages.EditJob;
import io.s2edit.common.messages.EditOptions;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.FineTuneOptions;
import io.s2edit.common.messages.InvertJob;
import io.s2edit.common.messages.InvertOptions;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.common.messages.JobStatus;
import io.s2edit.common.messages.Messages;
import io.s2edit.common.problems.ProblemType;
import io.s2edit.common.prompts.PromptRules;
import io.s2edit.gateway.jobs.IdentityEntity;
import io.s2edit.gateway.jobs.JobEntity;
import io.s2edit.gateway.jobs.JobService;
import io.s2edit.gateway.jobs.JobUpdates;
import io.s2edit.gateway.storage.ObjectStorageClient;
import io.s2edit.gateway.webhooks.WebhookService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Turns the job-creating requests into jobs: validate everything first (prompts, images,
 * options, webhook), answer a repeated Idempotency-Key, store the images, then write the
 * identity, the jobs of the chain (parents first) and their outbox rows in one transaction.
 */
@ApplicationScoped
public class SubmissionService {

    private static final SecureRandom SEEDS = new SecureRandom();

    @Inject
    ImageUploads images;

    @Inject
    RequestJson json;

    @Inject
    Idempotency idempotency;

    @Inject
    ObjectStorageClient storage;

    @Inject
    JobService jobs;

    @Inject
    JobViews views;

    @Inject
    JobUpdates updates;

    @Inject
    WebhookService webhooks;

    @Inject
    PromptLengths promptLengths;

    /** A webhook of a request, validated. */
    record Hook(String url, List<String> events) {
        static final Hook NONE = new Hook(null, null);
    }

    /** {@code POST /v1/identities} and, with {@code composition}, {@code POST /v1/compositions}. */
    public SubmissionView submitIdentity(SubmissionForm form, boolean composition, String idemKey, String scope) {
        // 1. validate every part before anything is stored
        String sourcePrompt = required(form.sourcePrompt, "source_prompt");
        String objectWord = required(form.objectWord, "object_word").trim();
        checkSourcePrompt(sourcePrompt, objectWord);
        byte[] imageBytes = images.bytes(form.image, "image");
        byte[] maskBytes = form.mask == null ? null : images.bytes(form.mask, "mask");
        byte[] referenceBytes = null;
        if (composition) {
            referenceBytes = images.bytes(form.reference, "reference");
            // the record rules throw InvalidValueException, which ProblemMapper renders with its field
            PromptRules.requireAttributeToken("reference_prompt", required(form.referencePrompt, "reference_prompt"));
            promptLengths.requireFits("reference_prompt", form.referencePrompt);
            PromptRules.requireWordOnce("reference_prompt", form.referencePrompt, "attribute_word",
                    required(form.attributeWord, "attribute_word").trim());
        } else if (form.reference != null || form.referencePrompt != null || form.attributeWord != null) {
            throw new ApiException(ProblemType.INVALID_VALUE,
                    "reference, reference_prompt and attribute_word belong to POST /v1/compositions", "reference");
        }
        FineTuneOptions ftOptions = Optional.ofNullable(json.parse(form.options, FineTuneOptions.class, "options"))
                .orElse(FineTuneOptions.defaults());
        InvertOptions invOptions = json.parse(form.invert, InvertOptions.class, "invert");
        List<EditOptions> edits = json.parseList(form.edits, EditOptions.class, "edits");
        edits = edits == null ? List.of() : edits;
        for (int i = 0; i < edits.size(); i++) {
            promptLengths.requireFits("edits[" + i + "]", edits.get(i));
        }
        if (!edits.isEmpty() && invOptions == null) {
            throw new ApiException(ProblemType.INVALID_VALUE,
                    "edits need an inversion of the identity first: add an \"invert\" part (it may be {})", "edits");
        }
        Hook hook = hook(form.webhook, eventsFilter(form.webhookEventsFilter));

        // 2. a repeated request answers with the jobs of the first
        ImageUploads.Image image = images.decode(imageBytes, "image");
        ImageUploads.Image mask = maskBytes == null ? null : images.decode(maskBytes, "mask");
        if (mask != null && (mask.width() != image.width() || mask.height() != image.height())) {
            throw new ApiException(ProblemType.INVALID_VALUE, "mask is " + mask.width() + "x" + mask.height()
                    + " but image is " + image.width() + "x" + image.height() + "; they must match", "mask");
        }
        ImageUploads.Image reference = referenceBytes == null ? null : images.decode(referenceBytes, "reference");
        String fingerprint = Idempotency.fingerprint(scope, sourcePrompt, objectWord, imageBytes, maskBytes, referenceBytes,
                form.referencePrompt, form.attributeWord, Messages.encode(ftOptions), invOptions == null ? null : Messages.encode(invOptions),
                Messages.encode(edits), hook.url(), hook.events());
        Optional<SubmissionView> repeat = replay(idemKey, scope, fingerprint);
        if (repeat.isPresent()) {
            return repeat.get();
        }

        // 3. the messages, with ids and seeds fixed now
        UUID identityId = UUID.randomUUID();
        UUID ftId = UUID.randomUUID();
        Composition comp = composition
                ? new Composition(ArtifactKeys.reference(identityId), form.referencePrompt, form.attributeWord.trim()) : null;
        FineTuneOptions ftResolved = ftOptions.seed() == null ? ftOptions.withSeed(newSeed()) : ftOptions;
        List<JobMessage> chain = new ArrayList<>();
        chain.add(FineTuneJob.create(ftId, identityId, sourcePrompt, objectWord, mask != null, comp, ftResolved));
        if (invOptions != null) {
            UUID invId = UUID.randomUUID();
            chain.add(InvertJob.create(invId, identityId, ftId, sourcePrompt, invOptions));
            for (int i = 0; i < edits.size(); i++) {
                chain.add(EditJob.create(UUID.randomUUID(), identityId, ftId, invId, sourcePrompt, objectWord,
                        resolve(edits.get(i), invOptions, "edits[" + i + "]")));
            }
        }

        // 4. images, then one transaction for identity, jobs, outbox rows and the key
        storage.put(ArtifactKeys.source(identityId), image.png(), "image/png");
        if (mask != null) {
            storage.put(ArtifactKeys.mask(identityId), mask.png(), "image/png");
        }
        if (reference != null) {
            storage.put(ArtifactKeys.reference(identityId), reference.png(), "image/png");
        }
        return commit(idemKey, scope, fingerprint, () -> {
            IdentityEntity identity = new IdentityEntity();
            identity.id = identityId;
            identity.sourcePrompt = sourcePrompt;
            identity.objectWord = objectWord;
            identity.hasMask = mask != null;
            identity.referencePrompt = composition ? form.referencePrompt : null;
            identity.attributeWord = composition ? form.attributeWord.trim() : null;
            identity.createdAt = Instant.now();
            identity.persist();
            return createChain(chain, null, hook);
        });
    }

    /** {@code POST /v1/identities/{id}/inversions}. */
    public SubmissionView submitInversion(UUID identityId, InversionRequest req, String idemKey, String scope) {
        for (int i = 0; i < req.edits().size(); i++) {
            promptLengths.requireFits("edits[" + i + "]", req.edits().get(i));
        }
        Hook hook = hook(req.webhook(), req.webhookEventsFilter());
        String fingerprint = Idempotency.fingerprint(scope, Messages.encode(req.options()), req.fineTuneJobId(),
                Messages.encode(req.edits()), hook.url(), hook.events());
        Optional<SubmissionView> repeat = replay(idemKey, scope, fingerprint);
        if (repeat.isPresent()) {
            return repeat.get();
        }
        for (int i = 0; i < req.edits().size(); i++) {
            resolve(req.edits().get(i), req.options(), "edits[" + i + "]");
        }
        return commit(idemKey, scope, fingerprint, () -> {
            IdentityEntity identity = identity(identityId);
            JobEntity parent = parent(identity, JobKind.FINETUNE, req.fineTuneJobId(), "fine_tune_job_id");
            UUID invId = UUID.randomUUID();
            List<JobMessage> chain = new ArrayList<>();
            chain.add(InvertJob.create(invId, identityId, parent.id, identity.sourcePrompt, req.options()));
            for (int i = 0; i < req.edits().size(); i++) {
                chain.add(EditJob.create(UUID.randomUUID(), identityId, parent.id, invId, identity.sourcePrompt,
                        identity.objectWord, resolve(req.edits().get(i), req.options(), "edits[" + i + "]")));
            }
            return createChain(chain, parent, hook);
        });
    }

    /** {@code POST /v1/identities/{id}/edits}. */
    public SubmissionView submitEdit(UUID identityId, EditRequest req, String idemKey, String scope) {
        promptLengths.requireFits("options", req.options());
        Hook hook = hook(req.webhook(), req.webhookEventsFilter());
        String fingerprint = Idempotency.fingerprint(scope, Messages.encode(req.options()), req.inversionJobId(),
                hook.url(), hook.events());
        Optional<SubmissionView> repeat = replay(idemKey, scope, fingerprint);
        if (repeat.isPresent()) {
            return repeat.get();
        }
        return commit(idemKey, scope, fingerprint, () -> {
            IdentityEntity identity = identity(identityId);
            JobEntity inversion = parent(identity, JobKind.INVERT, req.inversionJobId(), "inversion_job_id");
            InvertJob inv = Messages.decode(inversion.message, InvertJob.class);
            EditJob edit = EditJob.create(UUID.randomUUID(), identityId, inv.fineTuneJobId(), inversion.id,
                    identity.sourcePrompt, identity.objectWord, resolve(req.options(), inv.options(), "options"));
            return createChain(List.of(edit), inversion, hook);
        });
    }

    /** Creates the chain: the first job under {@code parent}, every later one under its predecessor of the previous kind. */
    private List<JobEntity> createChain(List<JobMessage> chain, JobEntity parent, Hook hook) {
        List<JobEntity> created = new ArrayList<>();
        JobEntity lastFineTune = parent != null && parent.kind == JobKind.FINETUNE ? parent : null;
        JobEntity lastInversion = parent != null && parent.kind == JobKind.INVERT ? parent : null;
        for (JobMessage m : chain) {
            JobEntity p = switch (m.kind()) {
                case FINETUNE -> null;
                case INVERT -> lastFineTune;
                case EDIT -> lastInversion;
            };
            JobEntity j = jobs.create(m, p, hook.url(), hook.events());
            if (m.kind() == JobKind.FINETUNE) {
                lastFineTune = j;
            } else if (m.kind() == JobKind.INVERT) {
                lastInversion = j;
            }
            created.add(j);
        }
        return created;
    }

    private SubmissionView commit(String idemKey, String scope, String fingerprint, Supplier<List<JobEntity>> work) {
        try {
            List<JobEntity> created = QuarkusTransaction.requiringNew().call(() -> {
                List<JobEntity> jobsCreated = work.get();
                idempotency.remember(idemKey, scope, fingerprint, jobsCreated.stream().map(j -> j.id).toList());
                return jobsCreated;
            });
            List<JobView> v = QuarkusTransaction.requiringNew().call(() -> created.stream()
                    .map(j -> views.of(JobEntity.<JobEntity>findById(j.id))).toList());
            v.forEach(updates::publish);
            return new SubmissionView(created.get(0).identityId, v);
        } catch (RuntimeException e) {
            // e.g. the primary key of idempotency_keys: a concurrent request with this key won
            return raceLost(idemKey, scope, fingerprint, e);
        }
    }

    /** A concurrent request with the same key committed first: answer as its repeat. */
    private SubmissionView raceLost(String idemKey, String scope, String fingerprint, RuntimeException e) {
        if (idemKey != null) {
            Optional<SubmissionView> repeat = replay(idemKey, scope, fingerprint);
            if (repeat.isPresent()) {
                return repeat.get();
            }
        }
        throw e;
    }

    private Optional<SubmissionView> replay(String idemKey, String scope, String fingerprint) {
        return idempotency.replay(idemKey, scope, fingerprint).map(ids -> QuarkusTransaction.requiringNew().call(() -> {
            List<JobView> v = ids.stream().map(id -> views.of(JobEntity.<JobEntity>findById(id))).toList();
            return new SubmissionView(v.get(0).identityId(), v);
        }));
    }

    private IdentityEntity identity(UUID id) {
        IdentityEntity identity = IdentityEntity.findById(id);
        if (identity == null) {
            throw ApiException.identityNotFound(id);
        }
        return identity;
    }

    /**
     * The named job of {@code kind} of this identity, or its newest one that has not failed or
     * been canceled (preferring succeeded ones).
     */
    private JobEntity parent(IdentityEntity identity, JobKind kind, UUID named, String field) {
        if (named != null) {
            JobEntity j = JobEntity.findById(named);
            if (j == null || !j.identityId.equals(identity.id) || j.kind != kind) {
                throw new ApiException(ProblemType.JOB_NOT_FOUND, "identity " + identity.id + " has no " + kind.wireName()
                        + " job " + named, field);
            }
            return j;
        }
        List<JobEntity> candidates = JobEntity.list("identityId = ?1 and kind = ?2 and status not in (?3) order by createdAt desc",
                identity.id, kind, List.of(JobStatus.FAILED, JobStatus.CANCELED));
        return candidates.stream().filter(j -> j.status == JobStatus.SUCCEEDED).findFirst()
                .or(() -> candidates.stream().findFirst())
                .orElseThrow(() -> new ApiException(ProblemType.PARENT_NOT_USABLE, "identity " + identity.id + " has no "
                        + kind.wireName() + " job that could succeed; "
                        + (kind == JobKind.INVERT ? "POST /v1/identities/" + identity.id + "/inversions first"
                        : "create the identity again"), field));
    }

    /** The edit's steps and guidance must be the inversion's: its null embeddings exist for those only. */
    private static EditOptions resolve(EditOptions e, InvertOptions inv, String field) {
        if (e.steps() != null && !e.steps().equals(inv.steps())) {
            throw new ApiException(ProblemType.INVALID_VALUE, field + ".steps is " + e.steps() + " but the inversion ran "
                    + inv.steps() + " steps; null-text embeddings exist for those steps only, so omit it or use " + inv.steps(),
                    field + ".steps");
        }
        if (e.guidance() != null && !e.guidance().equals(inv.guidance())) {
            throw new ApiException(ProblemType.INVALID_VALUE, field + ".guidance is " + e.guidance()
                    + " but the inversion was optimised for guidance " + inv.guidance()
                    + "; null-text embeddings reproduce the image only at that scale, so omit it or use " + inv.guidance(),
                    field + ".guidance");
        }
        return e.resolved(inv.steps(), inv.guidance(), newSeed());
    }

    private void checkSourcePrompt(String prompt, String objectWord) {
        PromptRules.requireIdentityToken("source_prompt", prompt);
        promptLengths.requireFits("source_prompt", prompt);
        PromptRules.requireWordOnce("source_prompt", prompt, "object_word", objectWord);
    }

    private Hook hook(String url, List<String> events) {
        if (url == null || url.isBlank()) {
            if (events != null && !events.isEmpty()) {
                throw new ApiException(ProblemType.INVALID_VALUE, "webhook_events_filter needs a webhook URL", "webhook");
            }
            return Hook.NONE;
        }
        return new Hook(url.trim(), webhooks.validate(url.trim(), events));
    }

    private List<String> eventsFilter(String raw) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        if (raw.trim().startsWith("[")) {
            return json.parse(raw, json.mapper().getTypeFactory().constructCollectionType(List.class, String.class),
                    "webhook_events_filter");
        }
        return Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new ApiException(ProblemType.MISSING_FIELD, field + " is required", field);
        }
        return value;
    }

    /** Seeds are chosen here so a re-run of a job reproduces it. */
    private static long newSeed() {
        return SEEDS.nextLong() & 0xffff_ffffL;
    }
}

package io.s2edit.worker;

import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.EditJob;
import io.s2edit.common.messages.EditOptions;
import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.FineTuneOptions;
import io.s2edit.common.messages.InvertJob;
import io.s2edit.common.messages.InvertOptions;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.engine.Progress;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.stages.EditInput;
import io.s2edit.s2edit.stages.FineTuneInput;
import io.s2edit.s2edit.stages.InvertInput;
import io.s2edit.s2edit.stages.S2EditStages;
import io.s2edit.s2edit.stages.StageFiles;
import io.s2edit.s2edit.stages.StageSummary;
import io.s2edit.worker.models.Models;
import io.s2edit.worker.storage.ObjectStorageClient;
import io.s2edit.worker.storage.ObjectStorageClient.MissingObjectException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One job, start to end, in a folder of its own: download the inputs from object storage (the
 * parents' artifacts under {@link ArtifactKeys}), run the stage, upload every file the stage wrote
 * under the job's own prefix (a re-run overwrites the same keys). Knows nothing of Kafka.
 *
 * <p>A job canceled meanwhile ({@link JobCancels}) stops before its model is loaded, at any step of
 * its stage (the progress callback), or before its outputs are uploaded, with
 * {@link JobCanceledException}. What a canceled run leaves: nothing in storage when it stops
 * before the upload (the stage writes only into the job's folder, which is deleted); only when
 * the cancel arrives during the upload, the files uploaded so far, under the job's own prefix,
 * referenced by no succeeded job and overwritten if the job is ever run again.
 */
@ApplicationScoped
public class StageJobs {

    private static final Logger LOG = Logger.getLogger(StageJobs.class);

    /** What a job produced: object keys (each directly under its job prefix) and figures. */
    public record Result(List<String> outputKeys, Map<String, Double> metrics) {
    }

    @Inject
    S2EditStages stages;

    @Inject
    Models models;

    @Inject
    ObjectStorageClient storage;

    @Inject
    JobCancels cancels;

    public Result run(JobMessage job, Path work, Progress progress) throws IOException, JobFailedException {
        if (job instanceof FineTuneJob ft) {
            return fineTune(ft, work, progress);
        } else if (job instanceof InvertJob inv) {
            return invert(inv, work, progress);
        }
        return edit((EditJob) job, work, progress);
    }

    // Stage 1 (Liu et al., Sec. 3.1-3.3): [I] (and [A]) and the fine-tuned weights of one identity.
    private Result fineTune(FineTuneJob job, Path work, Progress progress) throws IOException, JobFailedException {
        // 1. inputs: the source image, the uploaded mask and the composition's reference, if any
        Path in = Files.createDirectories(work.resolve("in"));
        Path image = fetch(job.sourceImageKey(), in.resolve("source.png"), "the identity's source image");
        Path mask = job.maskKey() == null ? null : fetch(job.maskKey(), in.resolve("mask.png"), "the uploaded object mask");
        FineTuneInput.Reference reference = job.composition() == null ? null : new FineTuneInput.Reference(
                fetch(job.composition().referenceImageKey(), in.resolve("reference.png"), "the composition's reference image"),
                job.composition().referencePrompt(), job.composition().attributeWord(), null);
        FineTuneOptions o = job.options();
        FineTuneInput input = stageInput(() -> new FineTuneInput(image, job.sourcePrompt(), job.objectWord(), mask, reference,
                o.steps(), o.learningRate(), o.seed(), o.identityFineTune(), o.semanticLoss(), o.spatialControl(),
                o.semanticLossWeight(), o.maskThreshold(), o.maskSteps()));
        // 2. the stage, on a fresh base model that becomes the fine-tuned one; it stays in memory
        //    for this identity's inversion and edits
        Path out = Files.createDirectories(work.resolve("out"));
        stopIfCanceled(job, "before loading the model");
        return runOn(models.freshBase(), job.jobId(), job, out, model -> stages.fineTune(model, input, out, progress));
    }

    // Stage 2: Null-text inversion of the source image under the fine-tuned model.
    private Result invert(InvertJob job, Path work, Progress progress) throws IOException, JobFailedException {
        Path in = Files.createDirectories(work.resolve("in"));
        Path image = fetch(ArtifactKeys.source(job.identityId()), in.resolve("source.png"), "the identity's source image");
        Path fineTuneDir = fineTuneFiles(job.identityId(), job.fineTuneJobId(), work);
        InvertOptions o = job.options();
        InvertInput input = stageInput(() -> new InvertInput(image, job.sourcePrompt(), o.steps(), o.guidance(), o.innerSteps()));
        Path out = Files.createDirectories(work.resolve("out"));
        stopIfCanceled(job, "before loading the model");
        return runOn(tunedModel(job.identityId(), job.fineTuneJobId(), fineTuneDir), job.fineTuneJobId(), job, out,
                model -> stages.invert(model, input, fineTuneDir, out, progress));
    }

    // Stage 3: Prompt-to-Prompt from the inverted noise, one image per target prompt.
    private Result edit(EditJob job, Path work, Progress progress) throws IOException, JobFailedException {
        Path fineTuneDir = fineTuneFiles(job.identityId(), job.fineTuneJobId(), work);
        Path invertDir = Files.createDirectories(work.resolve("invert"));
        fetch(ArtifactKeys.latents(job.identityId(), job.inversionJobId()), invertDir.resolve(StageFiles.LATENTS),
                "the latents of parent inversion job " + job.inversionJobId());
        EditOptions o = job.options();
        Map<String, Double> reweight = new LinkedHashMap<>();
        o.reweight().forEach(r -> reweight.put(r.word(), r.scale()));
        List<String> blendWords = o.localBlend() == null ? List.of() : o.localBlend().words();
        double blendThreshold = o.localBlend() == null ? EditOptions.LocalBlend.DEFAULT_THRESHOLD : o.localBlend().threshold();
        EditInput input = stageInput(() -> new EditInput(job.sourcePrompt(), o.targetPrompts(), o.crossReplaceSteps(),
                o.selfReplaceSteps(), reweight, blendWords, blendThreshold, o.steps(), o.guidance()));
        Path out = Files.createDirectories(work.resolve("out"));
        stopIfCanceled(job, "before loading the model");
        return runOn(tunedModel(job.identityId(), job.fineTuneJobId(), fineTuneDir), job.fineTuneJobId(), job, out,
                model -> stages.edit(model, input, fineTuneDir, invertDir, out, progress));
    }

    private interface StageOnModel {
        StageSummary run(StableDiffusion model) throws IOException;
    }

    /**
     * Runs a stage on {@code model} and uploads what it wrote; then keeps the model in memory as the
     * fine-tuned model of {@code fineTuneJobId}, or closes it if anything failed (a half-trained
     * model is worth nothing).
     */
    private Result runOn(StableDiffusion model, UUID fineTuneJobId, JobMessage job, Path out, StageOnModel call)
            throws IOException, JobFailedException {
        try {
            StageSummary summary = stage(() -> call.run(model));
            stopIfCanceled(job, "after the " + job.kind().wireName() + " stage, before uploading its outputs");
            List<String> keys = upload(job, summary, out);
            models.keep(fineTuneJobId, model);
            return new Result(keys, summary.metrics());
        } catch (IOException | JobFailedException | RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    /**
     * The fine-tune job's files but the weight delta (token embeddings, and the object masks when
     * spatial control was on); the delta is fetched only when a model must be rebuilt.
     */
    private Path fineTuneFiles(UUID identityId, UUID fineTuneJobId, Path work) throws IOException, JobFailedException {
        Path dir = Files.createDirectories(work.resolve("finetune"));
        String prefix = ArtifactKeys.jobPrefix(JobKind.FINETUNE, identityId, fineTuneJobId);
        List<String> keys = storage.list(prefix);
        String tokens = ArtifactKeys.tokenEmbeddings(identityId, fineTuneJobId);
        if (!keys.contains(tokens)) {
            throw new JobFailedException("the token embeddings of parent fine-tune job " + fineTuneJobId
                    + " is missing from storage (" + tokens + ")");
        }
        for (String key : keys) {
            String name = ArtifactKeys.outputName(key);
            if (ArtifactKeys.isOutputOf(key, JobKind.FINETUNE, identityId, fineTuneJobId) && !name.equals(StageFiles.WEIGHT_DELTA)) {
                fetch(key, dir.resolve(name), "file " + name + " of parent fine-tune job " + fineTuneJobId);
            }
        }
        return dir;
    }

    private StableDiffusion tunedModel(UUID identityId, UUID fineTuneJobId, Path fineTuneDir)
            throws IOException, JobFailedException {
        return models.tuned(fineTuneJobId, () -> weightDelta(identityId, fineTuneJobId, fineTuneDir));
    }

    /** The weight delta next to the other files; none when the identity was not fine-tuned (the baseline). */
    private Path weightDelta(UUID identityId, UUID fineTuneJobId, Path fineTuneDir) throws IOException {
        String key = ArtifactKeys.weightDelta(identityId, fineTuneJobId);
        try {
            storage.download(key, fineTuneDir.resolve(StageFiles.WEIGHT_DELTA));
        } catch (ObjectStorageClient.MissingObjectException e) {
            LOG.infof("fine-tune job %s left no weight delta (%s): token embeddings only, as without fine-tuning", fineTuneJobId, key);
        }
        return fineTuneDir;
    }

    private Path fetch(String key, Path target, String what) throws IOException, JobFailedException {
        try {
            storage.download(key, target);
            return target;
        } catch (MissingObjectException e) {
            throw new JobFailedException(what + " is missing from storage (" + key + ")");
        }
    }

    private List<String> upload(JobMessage job, StageSummary summary, Path out) throws IOException, JobFailedException {
        List<String> keys = new ArrayList<>();
        String prefix = ArtifactKeys.jobPrefix(job.kind(), job.identityId(), job.jobId());
        for (String name : summary.files()) {
            Path file = out.resolve(name).normalize();
            if (!file.getParent().equals(out.normalize()) || !Files.isRegularFile(file)) {
                throw new JobFailedException("the " + job.kind().wireName() + " stage reported output " + name
                        + " but wrote no such file");
            }
            String key = prefix + name;
            storage.upload(file, key, name.endsWith(".png") ? "image/png" : "application/octet-stream");
            keys.add(key);
        }
        return keys;
    }

    private void stopIfCanceled(JobMessage job, String where) {
        if (cancels.isCanceled(job.jobId())) {
            throw new JobCanceledException("canceled by request; stopped " + where);
        }
    }

    private interface StageCall<T> {
        T call() throws IOException;
    }

    /** Runs a stage; what it refuses (IllegalArgumentException: a prompt over 77 tokens, a bad mask) fails the job with its message. */
    private static <T> T stage(StageCall<T> call) throws IOException, JobFailedException {
        try {
            return call.call();
        } catch (IllegalArgumentException e) {
            throw new JobFailedException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private interface InputCall<T> {
        T call();
    }

    private static <T> T stageInput(InputCall<T> call) throws JobFailedException {
        try {
            return call.call();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new JobFailedException("invalid stage input: " + e.getMessage(), e);
        }
    }
}

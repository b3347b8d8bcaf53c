package io.s2edit.s2edit.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.engine.Progress;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.nn.Checkpoint;
import io.s2edit.engine.nn.Parameter;
import io.s2edit.engine.nn.Scalars;
import io.s2edit.engine.pipeline.Images;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.engine.scheduler.DdimScheduler;
import io.s2edit.engine.text.ClipTextOutput;
import io.s2edit.engine.vae.DiagonalGaussian;
import io.s2edit.s2edit.Noise;
import io.s2edit.s2edit.attention.AttentionControl;
import io.s2edit.s2edit.attention.SpatialControl;
import io.s2edit.s2edit.finetune.FineTuneOptions.Composition;
import io.s2edit.s2edit.finetune.FineTuneOptions.SemanticTarget;
import io.s2edit.s2edit.finetune.FineTuneOptions.TokenInit;
import io.s2edit.s2edit.finetune.FineTuneResult.LearnedToken;
import io.s2edit.s2edit.mask.ObjectMask;
import io.s2edit.s2edit.mask.ObjectMaskExtractor;
import io.s2edit.s2edit.prompt.EnhancedPrompt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * One identity fine-tuning run of {@link IdentityFineTuner}: the tokens are added, the images
 * encoded and the masks found when it starts; {@link #train} then takes the optimisation steps.
 * Between steps it can evaluate the reconstruction loss on a fixed (t, noise) and the current
 * |cos(e_P, e_[I])|, without gradients.
 *
 * <p>Letters: C latent channels, h x w latent size, D text width. Every step runs in its own
 * NDScope; the posteriors, optimizer state and other run state live in a sub-manager of the model's
 * manager that {@link #close()} frees, also switching the weights back to not requiring
 * gradients. Single-threaded: train, evaluate and close on one thread.
 */
public final class FineTuneSession implements AutoCloseable {

    /** A pair ready to train: prompts encoded, VAE posterior kept (unscaled), mask and control built. */
    private record Prepared(TrainingPair pair, EnhancedPrompt.Tokens tokens, NDArray mean, NDArray std, ObjectMask mask,
            SpatialControl control) {
    }

    /** The two losses of one forward pass, scalars. */
    private record Losses(NDArray reconstruction, NDArray semantic) {
    }

    private final StableDiffusion model;
    private final FineTuneOptions options;
    private final NDManager job;
    private final Random random;
    private final DdimScheduler scheduler;
    private final List<Prepared> pairs = new ArrayList<>();
    private final List<LearnedToken> tokens = new ArrayList<>();
    private final List<StepLog> log = new ArrayList<>();
    private AdamW optimizer;
    private int stepsDone;
    private long nanos;

    private FineTuneSession(StableDiffusion model, FineTuneOptions options) {
        this.model = model;
        this.options = options;
        this.job = model.manager().newSubManager();
        this.random = new Random(options.seed());
        this.scheduler = model.newScheduler();
    }

    static FineTuneSession start(StableDiffusion model, FineTuneOptions options, List<TrainingPair> pairs, Progress progress) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("fine-tuning needs at least one (image, prompt) pair");
        }
        Set<String> seen = new HashSet<>();
        for (TrainingPair pair : pairs) {
            if (!seen.add(pair.prompt().token())) {
                throw new IllegalArgumentException("two training pairs use " + pair.prompt().token() + "; compositional editing"
                        + " puts [I] on the source prompt and [A] on the reference prompt");
            }
        }
        FineTuneSession session = new FineTuneSession(model, options);
        try {
            for (TrainingPair pair : pairs) { // 1. tokens and their rows, in pair order (RNG: token init)
                session.addToken(pair);
            }
            for (int i = 0; i < pairs.size(); i++) { // 2. posteriors and masks with the base model
                session.prepare(i, pairs.get(i), progress);
            }
            return session;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private void addToken(TrainingPair pair) {
        EnhancedPrompt prompt = pair.prompt();
        ClipTokenizer tokenizer = model.tokenizer();
        if (knows(tokenizer, prompt.token())) {
            throw new IllegalStateException("the tokenizer already knows " + prompt.token() + "; fine-tune a freshly loaded"
                    + " checkpoint (a model that was fine-tuned or given token embeddings already has it)");
        }
        long rows = model.textEncoder().vocabularySize();
        int id = tokenizer.addTokens(prompt.token())[0];
        if (id != rows) {
            throw new IllegalStateException("the tokenizer gave " + prompt.token() + " id " + id + " but the embedding table has "
                    + rows + " rows; tokenizer and text encoder of this checkpoint disagree on the vocabulary");
        }
        EnhancedPrompt.Tokens encoded = prompt.tokenize(tokenizer);
        try (NDScope scope = new NDScope()) {
            model.textEncoder().addTokenEmbeddings(initialRow(encoded)); // row id
        }
        tokens.add(new LearnedToken(prompt.token(), id, prompt.objectWord()));
    }

    private static boolean knows(ClipTokenizer tokenizer, String token) {
        try {
            tokenizer.idOf(token);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** [1, D]: the object word's row (mean over its tokens), or N(0, σ²) with σ the table's std. */
    private NDArray initialRow(EnhancedPrompt.Tokens encoded) {
        NDArray table = model.textEncoder().tokenEmbeddingTable().get(); // [V, D]
        long width = table.getShape().get(1);
        if (options.tokenInit() == TokenInit.RANDOM) {
            float sigma = table.sub(table.mean()).square().mean().sqrt().getFloat();
            return Noise.gaussian(job, random, 1, width).mul(sigma);
        }
        int[] positions = encoded.plainObjectPositions();
        NDArray sum = null;
        for (int position : positions) {
            NDArray row = table.get(encoded.plain().idAt(position)); // [D]
            sum = sum == null ? row : sum.add(row);
        }
        return sum.div(positions.length).reshape(1, width);
    }

    private void prepare(int index, TrainingPair pair, Progress progress) {
        EnhancedPrompt.Tokens encoded = pair.prompt().tokenize(model.tokenizer());
        int h = model.latentSize(pair.image().getHeight());
        int w = model.latentSize(pair.image().getWidth());
        NDArray mean;
        NDArray std;
        try (NDScope scope = new NDScope()) {
            DiagonalGaussian posterior = model.vae().encode(Images.toSignedTensor(pair.image(), job)); // over [1, C, h, w]
            mean = Scopes.keep(posterior.mean(), job);
            std = Scopes.keep(posterior.std(), job);
        }
        ObjectMask mask = null;
        if (pair.userMask() != null) {
            mask = ObjectMask.fromImage(pair.userMask(), h, w);
        } else if (options.spatial()) {
            try (NDScope scope = new NDScope()) {
                NDArray latents = mean.mul(model.vae().config().scalingFactor()); // z_0 without sampling
                mask = ObjectMaskExtractor.extract(model, latents, encoded.plain(), encoded.plainObjectPositions(),
                        options.mask().withSeed(options.seed() + index), progress).mask();
            }
        }
        SpatialControl control = options.spatial()
                ? new SpatialControl(mask, new int[][] {{encoded.tokenPosition()}}, options.renormaliseSpatial())
                : null;
        pairs.add(new Prepared(pair, encoded, mean, std, mask, control));
    }

    /** Takes the remaining steps up to {@link FineTuneOptions#steps()} (none when fine-tuning is off). */
    public void train(Progress progress) {
        if (!options.finetune()) {
            return;
        }
        while (stepsDone < options.steps()) {
            step();
            progress.update("finetune", stepsDone, options.steps());
        }
    }

    /** One optimisation step (all pairs for SUM, one for ALTERNATE); returns its log entries. */
    public List<StepLog> step() {
        if (!options.finetune()) {
            throw new IllegalStateException("fine-tuning is switched off in these options");
        }
        long start = System.nanoTime();
        AdamW adam = optimizer();
        JniUtils.setGradMode(false); // outside the collector: in-place updates need no-grad mode on this thread
        int k = ++stepsDone;
        List<StepLog> entries = new ArrayList<>();
        float scaling = model.vae().config().scalingFactor();
        int total = scheduler.config().numTrainTimesteps();
        try (NDScope scope = new NDScope()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (int i : pairsOfStep(k)) {
                    Prepared p = pairs.get(i);
                    long[] shape = p.mean().getShape().getShape();
                    NDArray posteriorNoise = Noise.gaussian(job, random, shape); // 1. RNG: ε_post, ε, t
                    NDArray noise = Noise.gaussian(job, random, shape);
                    int t = random.nextInt(total);
                    NDArray z0 = p.mean().add(p.std().mul(posteriorNoise)).mul(scaling); // 2. z_0 ~ posterior, scaled
                    NDArray zt = scheduler.addNoise(z0, noise, new int[] {t}); // 3. z_t = sqrt(a_t) z_0 + sqrt(1-a_t) ε
                    Losses losses = losses(p, zt, noise, t); // 4. forward with gradients
                    NDArray loss = options.semantic() // 5. Eq. 2
                            ? losses.reconstruction().add(Scalars.mul(losses.semantic(), (float) options.semanticWeight()))
                            : losses.reconstruction();
                    collector.backward(loss); // 6. gradients accumulate over the pairs of the step
                    entries.add(new StepLog(k, i, t, losses.reconstruction().stopGradient().getFloat(),
                            losses.semantic().stopGradient().getFloat()));
                }
            }
            adam.step(); // 7. clip to maxGradNorm, AdamW, zero gradients
        }
        nanos += System.nanoTime() - start;
        log.addAll(entries);
        return entries;
    }

    private int[] pairsOfStep(int k) {
        if (options.composition() == Composition.ALTERNATE) {
            return new int[] {(k - 1) % pairs.size()};
        }
        int[] all = new int[pairs.size()];
        Arrays.setAll(all, i -> i);
        return all;
    }

    /** L_recons = mean((eps_θ(z_t, t, c(P~)) − ε)²) under spatial control, and |cos(e_P, e_[I])|. */
    private Losses losses(Prepared p, NDArray zt, NDArray noise, int t) {
        EnhancedPrompt.Tokens encoded = p.tokens();
        ClipTextOutput text = model.textEncoder().forward(List.of(encoded.enhanced(), encoded.plain()), job);
        NDArray hidden = text.lastHiddenState(); // [2, 77, D]: P~ then P
        NDArray context = hidden.get("0:1"); // [1, 77, D], c(P~)
        NDArray eI = options.semanticTarget() == SemanticTarget.FINAL_LAYER
                ? hidden.get(0, encoded.tokenPosition()) // [D], final layer at [I]
                : model.textEncoder().tokenEmbeddingTable().get().get(encoded.tokenId()); // [D], input row
        NDArray eP = text.pooled().get(1); // [D], P at EOS
        NDArray semantic = SemanticLoss.of(eP, eI);
        NDArray eps;
        if (p.control() == null) {
            eps = model.unet().forward(zt, t, context);
        } else {
            try (AttentionControl control = AttentionControl.install(model.unet(), List.of(p.control()))) {
                eps = model.unet().forward(zt, t, context); // [1, C, h, w]
            }
        }
        return new Losses(eps.sub(noise).square().mean(), semantic);
    }

    /**
     * L_recons of pair {@code pair} now, on z_0 = posterior mean · scaling, noise
     * {@code Noise.gaussian(new Random(noiseSeed))} and timestep {@code t}; no gradients, the
     * session's generator untouched.
     */
    public double reconstructionLoss(int pair, int t, long noiseSeed) {
        Prepared p = pairs.get(pair);
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            NDArray noise = Noise.gaussian(job, new Random(noiseSeed), p.mean().getShape().getShape());
            NDArray z0 = p.mean().mul(model.vae().config().scalingFactor());
            return losses(p, scheduler.addNoise(z0, noise, new int[] {t}), noise, t).reconstruction().getFloat();
        }
    }

    /** |cos(e_P, e_[I])| of pair {@code pair} now (the semantic target of the options), no gradients. */
    public double semanticLoss(int pair) {
        Prepared p = pairs.get(pair);
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            EnhancedPrompt.Tokens encoded = p.tokens();
            ClipTextOutput text = model.textEncoder().forward(List.of(encoded.enhanced(), encoded.plain()), job);
            NDArray eI = options.semanticTarget() == SemanticTarget.FINAL_LAYER
                    ? text.lastHiddenState().get(0, encoded.tokenPosition())
                    : model.textEncoder().tokenEmbeddingTable().get().get(encoded.tokenId());
            return SemanticLoss.of(text.pooled().get(1), eI).getFloat();
        }
    }

    /** The encoded prompts of pair {@code pair} (token id and positions included). */
    public EnhancedPrompt.Tokens tokens(int pair) {
        return pairs.get(pair).tokens();
    }

    public int stepsDone() {
        return stepsDone;
    }

    /** Tokens, masks and the log so far. */
    public FineTuneResult result() {
        Map<String, ObjectMask> masks = new LinkedHashMap<>();
        for (Prepared p : pairs) {
            if (p.mask() != null) {
                masks.put(p.pair().prompt().token(), p.mask());
            }
        }
        return new FineTuneResult(tokens, masks, log, nanos / 1e9);
    }

    /** Builds AdamW on first use: every UNet and text-encoder weight, token rows at their own rate. */
    private AdamW optimizer() {
        if (optimizer != null) {
            return optimizer;
        }
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        model.unet().parameters().forEach((key, p) -> trainable.put("unet." + key, p));
        String tableKey = null;
        Parameter table = model.textEncoder().tokenEmbeddingTable();
        for (Map.Entry<String, Parameter> entry : model.textEncoder().parameters().entrySet()) {
            trainable.put("text_encoder." + entry.getKey(), entry.getValue());
            if (entry.getValue() == table) {
                tableKey = "text_encoder." + entry.getKey();
            }
        }
        Checkpoint.setTrainable(model.unet(), true);
        Checkpoint.setTrainable(model.textEncoder(), true);
        optimizer = new AdamW(trainable, job, options.learningRate(), options.beta1(), options.beta2(), options.epsilon(),
                options.weightDecay(), options.maxGradNorm());
        float[] rates = new float[(int) model.textEncoder().vocabularySize()];
        Arrays.fill(rates, (float) options.learningRate());
        tokens.forEach(token -> rates[token.id()] = (float) options.tokenLearningRate());
        optimizer.setRowLearningRates(tableKey, rates);
        return optimizer;
    }

    /** Frees the run state and turns gradients off for every weight again. */
    @Override
    public void close() {
        if (optimizer != null) {
            optimizer.zeroGradients();
            optimizer.close();
            optimizer = null;
            Checkpoint.setTrainable(model.unet(), false);
            Checkpoint.setTrainable(model.textEncoder(), false);
        }
        job.close();
    }
}

package io.s2edit.s2edit.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.s2edit.attention.AttentionEdit;
import io.s2edit.s2edit.p2p.CrossReplaceSchedule;
import io.s2edit.s2edit.p2p.Equalizer;
import io.s2edit.s2edit.p2p.RefineMapper;
import io.s2edit.s2edit.p2p.RefineMapping;
import io.s2edit.s2edit.p2p.ReplaceMapper;
import io.s2edit.s2edit.p2p.WordIndices;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Prompt-to-Prompt's attention control (Hertz et al. 2022, §3.2; the reference's
 * {@code AttentionControlEdit} with {@code AttentionReplace}, {@code AttentionRefine} and
 * {@code AttentionReweight}) as one {@link AttentionEdit}. Only the conditional half of the batch
 * ({@link EditBatch}) is edited, and in it only the target rows: the source row and every
 * unconditional row pass through untouched.
 *
 * <p>Cross-attention (every layer, every step), for target j with own map A_j and source map A_0
 * (both [h, T, 77]):
 * <ol>
 *   <li>mapped: {@code A_0 · M_j} with M_j the [77, 77] replace mapper, or for refine the source
 *       column {@code mapper[n]} of each target token n, then
 *       {@code mapped · a + A_j · (1 - a)} with the refine alphas a (new tokens keep their map);</li>
 *   <li>reweight: {@code mapped · e_j}, the target's equalizer;</li>
 *   <li>schedule: {@code mapped · α_t + A_j · (1 - α_t)}, α_t the {@link CrossReplaceSchedule} row of
 *       the current step (1 = take the edited map).</li>
 * </ol>
 * Replace and refine share one code path: a refine gather is a product with a 0/1 matrix (exact),
 * and replace has a = 1 (also exact), so targets of both kinds go in one batched product.
 *
 * <p>Self-attention, for steps in {@code [selfStartStep, selfEndStep)} and layers whose query has at
 * most {@link EditOptions#selfMaxQueryLength()} positions: every target takes the source's map.
 *
 * <p>Stateful per denoising run: the caller announces each step with {@link #beginStep}. Owns the
 * mapper, alpha and equalizer tensors; close it after the run.
 *
 * <p>Letters: P prompts (source + k targets), h heads, T query positions, S keys (77 text tokens
 * for cross-attention), N steps.
 */
public final class PromptToPromptEdit implements AttentionEdit, StepAware, AutoCloseable {

    private final EditBatch batch;
    private final List<EditOptions.Mode> modes;
    private final int steps;
    private final int selfStart;
    private final int selfEnd;
    private final long selfMaxQueryLength;
    private final NDManager manager;
    private final NDArray mappers; // [S, k * S]: column j * S + n = source weights of target j's token n
    private final NDArray mapAlphas; // [k, 1, 1, S]
    private final NDArray mapAlphasComplement; // 1 - mapAlphas
    private final NDArray equalizers; // [k, 1, 1, S] or null
    private final NDArray crossAlphas; // [N + 1, k, 1, 1, S]
    private final NDArray crossAlphasComplement; // 1 - crossAlphas
    private int step = -1;

    private PromptToPromptEdit(EditBatch batch, List<EditOptions.Mode> modes, EditOptions options, NDManager manager,
            float[] mappers, float[] mapAlphas, float[] equalizers, float[] crossAlphas, int tokens) {
        int k = batch.targets();
        this.batch = batch;
        this.modes = List.copyOf(modes);
        this.steps = options.steps();
        this.selfStart = options.selfStartStep();
        this.selfEnd = options.selfEndStep();
        this.selfMaxQueryLength = options.selfMaxQueryLength();
        this.manager = manager;
        this.mappers = manager.create(mappers, new Shape(tokens, (long) k * tokens));
        this.mapAlphas = manager.create(mapAlphas, new Shape(k, 1, 1, tokens));
        this.mapAlphasComplement = this.mapAlphas.neg().add(1f);
        this.equalizers = equalizers == null ? null : manager.create(equalizers, new Shape(k, 1, 1, tokens));
        this.crossAlphas = manager.create(crossAlphas, new Shape(steps + 1L, k, 1, 1, tokens));
        this.crossAlphasComplement = this.crossAlphas.neg().add(1f);
    }

    /**
     * Builds the edit for {@code source} and {@code targets} (batch order), resolving
     * {@link EditOptions.Mode#AUTO} per target: the same number of words ({@code split(" ")}) means
     * replace, otherwise refine.
     *
     * @throws IllegalArgumentException if there is no target, a forced replace target has another
     *                                  word count, or a per-word window or reweight word is in no target
     */
    public static PromptToPromptEdit create(ClipTokenizer tokenizer, String source, List<String> targets,
            EditOptions options, NDManager parent) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(source, "source prompt");
        Objects.requireNonNull(options, "options");
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("Prompt-to-Prompt needs at least one target prompt");
        }
        int k = targets.size();
        int tokens = tokenizer.maxLength();
        WordIndices sourceWords = WordIndices.of(tokenizer, source);
        // 1. Per target: the mapper (as a [S, S] matrix) and the refine alphas.
        List<EditOptions.Mode> modes = new ArrayList<>(k);
        float[] mappers = new float[tokens * k * tokens];
        float[] mapAlphas = new float[k * tokens];
        for (int j = 0; j < k; j++) {
            String target = Objects.requireNonNull(targets.get(j), "target prompt " + j);
            EditOptions.Mode mode = resolve(options.mode(), sourceWords, WordIndices.of(tokenizer, target));
            modes.add(mode);
            if (mode == EditOptions.Mode.REPLACE) {
                float[][] m = ReplaceMapper.mapper(tokenizer, source, target); // [S source][S target]
                for (int w = 0; w < tokens; w++) {
                    System.arraycopy(m[w], 0, mappers, w * k * tokens + j * tokens, tokens);
                }
                Arrays.fill(mapAlphas, j * tokens, (j + 1) * tokens, 1f);
            } else {
                RefineMapping mapping = RefineMapper.mapping(tokenizer, source, target);
                int[] mapper = mapping.mapper();
                for (int n = 0; n < tokens; n++) {
                    if (mapper[n] != RefineMapping.NEW_TOKEN) { // a new token's column stays 0: its alpha is 0
                        mappers[mapper[n] * k * tokens + j * tokens + n] = 1f;
                    }
                }
                System.arraycopy(mapping.alphas(), 0, mapAlphas, j * tokens, tokens);
            }
        }
        // 2. Reweighting: each target scales the words it has.
        float[] equalizers = options.reweight() == null ? null : equalizers(tokenizer, targets, options.reweight());
        // 3. The cross-replace schedule, [N + 1][k][S].
        CrossReplaceSchedule schedule = CrossReplaceSchedule.of(tokenizer, targets, options.steps(), options.cross(),
                options.crossPerWord());
        float[] crossAlphas = new float[(options.steps() + 1) * k * tokens];
        for (int i = 0; i <= options.steps(); i++) {
            for (int j = 0; j < k; j++) {
                System.arraycopy(schedule.alphas(i, j), 0, crossAlphas, (i * k + j) * tokens, tokens);
            }
        }
        NDManager manager = parent.newSubManager();
        try {
            return new PromptToPromptEdit(new EditBatch(k + 1), modes, options, manager, mappers, mapAlphas,
                    equalizers, crossAlphas, tokens);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static EditOptions.Mode resolve(EditOptions.Mode mode, WordIndices source, WordIndices target) {
        if (mode != EditOptions.Mode.AUTO) {
            return mode;
        }
        return source.wordCount() == target.wordCount() ? EditOptions.Mode.REPLACE : EditOptions.Mode.REFINE;
    }

    private static float[] equalizers(ClipTokenizer tokenizer, List<String> targets, Reweight reweight) {
        int tokens = tokenizer.maxLength();
        float[] out = new float[targets.size() * tokens];
        boolean[] used = new boolean[reweight.words().size()];
        for (int j = 0; j < targets.size(); j++) {
            WordIndices words = WordIndices.of(tokenizer, targets.get(j));
            Equalizer equalizer = Equalizer.of(tokenizer, targets.get(j));
            for (int w = 0; w < used.length; w++) {
                if (words.contains(reweight.words().get(w))) {
                    equalizer = equalizer.scale(reweight.words().get(w), reweight.factors().get(w));
                    used[w] = true;
                }
            }
            System.arraycopy(equalizer.vector(), 0, out, j * tokens, tokens);
        }
        for (int w = 0; w < used.length; w++) {
            if (!used[w]) {
                throw new IllegalArgumentException("reweight word \"" + reweight.words().get(w) + "\" is in no target"
                        + " prompt (words are split on single spaces and compared exactly): " + targets);
            }
        }
        return out;
    }

    /** The batch this edit expects. */
    public EditBatch batch() {
        return batch;
    }

    /** The mode each target resolved to (never AUTO), in target order. */
    public List<EditOptions.Mode> modes() {
        return modes;
    }

    @Override
    public void beginStep(int step) {
        if (step < 0 || step >= steps) {
            throw new IllegalArgumentException("step " + step + " is outside 0.." + (steps - 1)
                    + " (this edit was built for " + steps + " steps)");
        }
        this.step = step;
    }

    /** The current step index, -1 before the first {@link #beginStep}. */
    public int step() {
        return step;
    }

    @Override
    public NDArray edit(NDArray probabilities, AttentionContext context) {
        if (step < 0) {
            throw new IllegalStateException("PromptToPromptEdit: call beginStep(i) before each UNet step");
        }
        boolean cross = context.crossAttention();
        boolean replaceSelf = !cross && step >= selfStart && step < selfEnd
                && context.queryLength() <= selfMaxQueryLength;
        if (!cross && !replaceSelf) {
            return probabilities;
        }
        NDArray maps = batch.split(probabilities, context); // [2P, h, T, S]
        NDArray source = maps.get(batch.conditionalRow(0)); // [h, T, S]
        NDArray own = maps.get(new NDIndex("{}:", batch.conditionalRow(1))); // [k, h, T, S]
        NDArray edited = cross ? editCross(source, own) : source.expandDims(0).broadcast(own.getShape());
        NDArray out = NDArrays.concat(new NDList(batch.unconditional(maps), source.expandDims(0), edited)); // [2P, h, T, S]
        return out.reshape(probabilities.getShape()); // [2P*h, T, S]
    }

    /** source [h, T, S], own [k, h, T, S] -> the targets' new maps [k, h, T, S]. */
    private NDArray editCross(NDArray source, NDArray own) {
        Shape s = source.getShape();
        long h = s.get(0);
        long t = s.get(1);
        long tokens = s.get(2);
        if (tokens != mappers.getShape().get(0)) {
            throw new IllegalArgumentException("cross-attention has " + tokens + " keys, but the prompts were encoded"
                    + " to " + mappers.getShape().get(0) + " tokens");
        }
        int k = batch.targets();
        // 1. Source maps through each target's mapper, refine blended with the target's own maps.
        NDArray mapped = source.reshape(h * t, tokens).matMul(mappers) // [h*T, k*S]
                .reshape(h, t, k, tokens).transpose(2, 0, 1, 3); // [k, h, T, S]
        mapped = mapped.mul(mapAlphas).add(own.mul(mapAlphasComplement));
        // 2. Reweighting.
        if (equalizers != null) {
            mapped = mapped.mul(equalizers);
        }
        // 3. The step's cross-replace alphas.
        NDArray alpha = crossAlphas.get(step); // [k, 1, 1, S]
        NDArray complement = crossAlphasComplement.get(step);
        return mapped.mul(alpha).add(own.mul(complement)).reshape(k, h, t, tokens);
    }

    @Override
    public void close() {
        manager.close();
    }
}

package io.s2edit.s2edit.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.engine.Scopes;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.s2edit.attention.AttentionEdit;
import io.s2edit.s2edit.p2p.WordIndices;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Prompt-to-Prompt's local blend (Hertz et al. 2022, §3.2 "local editing"; the reference's
 * {@code LocalBlend} in {@code null_text_w_ptp.ipynb}): after each DDIM step from
 * {@link LocalBlendOptions#startStep}, every target's latent is reset to the source's outside the
 * region its blend words (and the source's) attend to.
 *
 * <p>As an {@link AttentionEdit} it only records: for each down and up cross-attention layer it
 * sums the conditional maps of the prompt's blend tokens, [P, h, T, S] → [P, T], into a running
 * sum per resolution (the reference's {@code attention_store} sums every map over the steps so far;
 * the reduction is linear, so summing the reduced maps gives the same map). Put it AFTER the
 * Prompt-to-Prompt edit in the chain: the reference's store holds the maps by reference and edits
 * them in place, so what it blends from are the edited maps.
 *
 * <p>{@link #blend} then, per prompt p (Letters: P prompts, h_b x w_b the map resolution,
 * h x w the latent):
 * <ol>
 *   <li>the mean over layers and heads of the summed blend-token maps, [P, 1, h_b, w_b];</li>
 *   <li>3 x 3 max-pool, stride 1, padding 1;</li>
 *   <li>nearest upsampling to h x w;</li>
 *   <li>division by the map's maximum; the region is where it exceeds the threshold (a map that is
 *       0 everywhere gives 0/0 and no region, as in the reference);</li>
 *   <li>the source's region joins every target's ({@code mask[:1] + mask});</li>
 *   <li>{@code x_p = x_0 + mask_p (x_p - x_0)}: the source row is unchanged.</li>
 * </ol>
 * Stateful per run; owns its running sums and the last mask. Close it after the run.
 */
public final class LocalBlend implements AttentionEdit, StepAware, AutoCloseable {

    /** DJL's interpolation code for nearest-neighbour. */
    private static final int NEAREST = 0;

    private final EditBatch batch;
    private final LocalBlendOptions options;
    private final int startStep;
    private final NDManager manager;
    private final NDArray selection; // [P, 1, 1, S]
    private final Map<String, Sum> sums = new LinkedHashMap<>();
    private NDArray lastMask;

    /** The running sum of one resolution: [P, H*W] over `terms` maps (layers x heads x steps). */
    private static final class Sum {
        final long height;
        final long width;
        NDArray total;
        long terms;

        Sum(long height, long width) {
            this.height = height;
            this.width = width;
        }
    }

    private LocalBlend(EditBatch batch, LocalBlendOptions options, int steps, NDManager manager, float[] selection,
            int tokens) {
        this.batch = batch;
        this.options = options;
        this.startStep = options.startStep(steps);
        this.manager = manager;
        this.selection = manager.create(selection, new Shape(batch.prompts(), 1, 1, tokens));
    }

    /**
     * @param prompts source first, then the targets (batch order)
     * @param steps   N
     * @throws IllegalArgumentException if no blend word is in any prompt
     */
    public static LocalBlend create(ClipTokenizer tokenizer, List<String> prompts, LocalBlendOptions options,
            int steps, NDManager parent) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(options, "options");
        EditBatch batch = new EditBatch(prompts.size());
        int tokens = tokenizer.maxLength();
        float[] selection = new float[prompts.size() * tokens];
        List<String> unused = new ArrayList<>(options.words());
        for (int p = 0; p < prompts.size(); p++) {
            WordIndices words = WordIndices.of(tokenizer, prompts.get(p));
            List<String> mine = options.words().stream().filter(words::contains).toList();
            unused.removeAll(mine);
            if (!mine.isEmpty()) {
                System.arraycopy(words.selection(mine), 0, selection, p * tokens, tokens);
            }
        }
        if (unused.size() == options.words().size()) {
            throw new IllegalArgumentException("none of the local blend words " + unused + " is in a prompt, so"
                    + " every region would be empty and the targets would become the source (words are split on"
                    + " single spaces and compared exactly): " + prompts);
        }
        NDManager manager = parent.newSubManager();
        try {
            return new LocalBlend(batch, options, steps, manager, selection, tokens);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public void beginStep(int step) {
        if (!options.accumulate()) {
            clear();
        }
    }

    @Override
    public NDArray edit(NDArray probabilities, AttentionContext context) {
        String place = context.place();
        if (!context.crossAttention() || !(place.equals("down") || place.equals("up"))) {
            return probabilities;
        }
        if (options.mapHeight() > 0
                && (context.height() != options.mapHeight() || context.width() != options.mapWidth())) {
            return probabilities;
        }
        NDArray conditional = batch.conditional(batch.split(probabilities, context)); // [P, h, T, S]
        NDArray reduced = conditional.mul(selection).sum(new int[] {3}).sum(new int[] {1}); // [P, T]
        Sum sum = sums.computeIfAbsent(context.height() + "x" + context.width(),
                key -> new Sum(context.height(), context.width()));
        NDArray total = sum.total == null ? reduced : sum.total.add(reduced);
        if (sum.total != null) {
            sum.total.close();
        }
        sum.total = Scopes.keep(total, manager);
        sum.terms += context.heads();
        return probabilities;
    }

    /**
     * Applies the blend after the scheduler step of step {@code step}; returns {@code latents}
     * itself before {@link LocalBlendOptions#startStep}.
     *
     * @param latents x_{t-1} of all prompts, [P, C, h, w], source first
     */
    public NDArray blend(NDArray latents, int step) {
        if (step < startStep) {
            return latents;
        }
        if (latents.getShape().get(0) != batch.prompts()) {
            throw new IllegalArgumentException("local blend: latents must be [" + batch.prompts() + ", C, h, w], got "
                    + latents.getShape());
        }
        Sum sum = chosen();
        long height = latents.getShape().get(2);
        long width = latents.getShape().get(3);
        // 1-3. Mean map, max-pooled, upsampled to the latent.
        NDArray maps = sum.total.div((float) sum.terms).reshape(batch.prompts(), 1, sum.height, sum.width);
        NDArray pooled = Pool.maxPool2d(maps, new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false);
        NDArray up = pooled.getNDArrayInternal().interpolation(new long[] {height, width}, NEAREST, false); // [P, 1, h, w]
        // 4-5. Thresholded against the maximum; the source's region joins each target's.
        NDArray max = up.max(new int[] {2}, true).max(new int[] {3}, true); // [P, 1, 1, 1]; DJL reduces one axis at a time
        NDArray region = up.div(max).gt(options.threshold()); // [P, 1, h, w] bool
        region = region.logicalOr(region.get(new NDIndex("0:1")));
        NDArray mask = region.toType(DataType.FLOAT32, false);
        if (lastMask != null) {
            lastMask.close();
        }
        lastMask = Scopes.keep(mask.duplicate(), manager);
        // 6. Source outside the region.
        NDArray source = latents.get(new NDIndex("0:1")); // [1, C, h, w]
        return source.add(mask.mul(latents.sub(source)));
    }

    /** The region of the last {@link #blend} that changed anything, [P, 1, h, w] of 0/1; null before. */
    public NDArray lastMask() {
        return lastMask;
    }

    private Sum chosen() {
        if (sums.isEmpty()) {
            throw new IllegalStateException("local blend has no cross-attention maps to read: "
                    + (options.mapHeight() > 0 ? "no down or up cross-attention layer works at " + options.mapHeight()
                            + "x" + options.mapWidth() : "the UNet ran no down or up cross-attention layer")
                    + " (is the blend in the attention chain?)");
        }
        Sum coarsest = null;
        for (Sum sum : sums.values()) {
            if (coarsest == null || sum.height * sum.width < coarsest.height * coarsest.width) {
                coarsest = sum;
            }
        }
        return coarsest;
    }

    private void clear() {
        sums.values().forEach(sum -> {
            if (sum.total != null) {
                sum.total.close();
            }
        });
        sums.clear();
    }

    @Override
    public void close() {
        clear();
        manager.close();
    }
}

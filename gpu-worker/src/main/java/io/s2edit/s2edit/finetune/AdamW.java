package io.s2edit.s2edit.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.s2edit.engine.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) as torch's single-tensor {@code torch.optim.AdamW}, step k:
 * <pre>
 *   w ← w · (1 − lr·wd)                          decoupled weight decay
 *   m ← β1 m + (1 − β1) g ;  v ← β2 v + (1 − β2) g²
 *   w ← w − lr / (1 − β1^k) · m / (sqrt(v) / sqrt(1 − β2^k) + eps)
 * </pre>
 * preceded by torch's {@code clip_grad_norm_}: g ← g · min(1, maxNorm / (||g||_2 + 1e-6)), the
 * norm taken over all parameters together. A parameter may have a learning rate per row
 * ({@link #setRowLearningRates}), used for the new token rows of the embedding table.
 *
 * <p>Why not DJL's {@code Optimizer.adamW}: it creates its state lazily (a first update inside an
 * NDScope closes it), has no global-norm clipping and no per-row rate. State (m, v) is allocated up
 * front in the optimizer's own manager; each parameter's update runs in its own NDScope so a step
 * never holds more than one parameter's temporaries. Updates are in place, so the thread's grad
 * mode must be off (the caller ensures it; with no graph recorded, number operands are safe here,
 * see {@code engine.nn.Scalars}). Gradients are zeroed after each step.
 */
final class AdamW implements AutoCloseable {

    /** torch's clip_grad_norm_ adds this to the norm. */
    private static final double CLIP_EPS = 1e-6;

    private final Map<String, Parameter> parameters;
    private final Map<String, NDArray> rowLearningRates = new LinkedHashMap<>();
    private final Map<String, NDArray[]> state = new LinkedHashMap<>();
    private final NDManager manager;
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final double maxGradNorm;
    private int step;

    AdamW(Map<String, Parameter> parameters, NDManager parent, double learningRate, double beta1, double beta2,
            double epsilon, double weightDecay, double maxGradNorm) {
        this.parameters = new LinkedHashMap<>(parameters);
        this.manager = parent.newSubManager();
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.maxGradNorm = maxGradNorm;
        parameters.forEach((key, p) -> {
            NDArray m = manager.zeros(p.get().getShape(), p.get().getDataType());
            NDArray v = manager.zeros(p.get().getShape(), p.get().getDataType());
            NDScope.unregister(m, v); // state outlives any scope the caller is in
            state.put(key, new NDArray[] {m, v});
        });
    }

    /** Learning rate per row of {@code key}'s [rows, ...] parameter, replacing the global one there. */
    void setRowLearningRates(String key, float[] perRow) {
        NDArray w = parameters.get(key).get();
        if (w.getShape().get(0) != perRow.length) {
            throw new IllegalArgumentException(key + " has " + w.getShape().get(0) + " rows, got " + perRow.length + " rates");
        }
        long[] shape = w.getShape().getShape().clone();
        for (int i = 1; i < shape.length; i++) {
            shape[i] = 1;
        }
        NDArray rates = manager.create(perRow, new Shape(shape)); // [rows, 1, ...]
        NDScope.unregister(rates);
        rowLearningRates.put(key, rates);
    }

    /**
     * Clips the gradients to {@code maxGradNorm} (global L2 norm), applies one AdamW update to
     * every parameter, and zeroes the gradients.
     *
     * @return the gradient norm before clipping
     */
    double step() {
        step++;
        double norm = gradientNorm();
        float scale = (float) Math.min(1.0, maxGradNorm / (norm + CLIP_EPS));
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
            try (NDScope scope = new NDScope()) {
                NDArray w = entry.getValue().get();
                NDArray g = w.getGradient().mul(scale); // 1. clipped gradient
                NDArray m = state.get(entry.getKey())[0];
                NDArray v = state.get(entry.getKey())[1];
                NDArray rows = rowLearningRates.get(entry.getKey());
                if (rows == null) { // 2. decoupled weight decay
                    w.muli((float) (1 - learningRate * weightDecay));
                } else {
                    w.muli(rows.mul((float) -weightDecay).add(1f));
                }
                m.muli((float) beta1).addi(g.mul((float) (1 - beta1))); // 3. first and second moments
                v.muli((float) beta2).addi(g.square().mul((float) (1 - beta2)));
                NDArray denom = v.sqrt().div((float) biasCorrection2Sqrt).add((float) epsilon); // 4. bias-corrected denominator
                NDArray update = m.div(denom);
                if (rows == null) { // 5. w -= lr / bc1 * m / denom
                    w.subi(update.mul((float) (learningRate / biasCorrection1)));
                } else {
                    w.subi(update.mul(rows.div((float) biasCorrection1)));
                }
                JniUtils.zeroGrad((PtNDArray) w);
            }
        }
        return norm;
    }

    /** sqrt(Σ over parameters of ||g||²), the norm clip_grad_norm_ clips. */
    private double gradientNorm() {
        double sumSquares = 0;
        for (Parameter p : parameters.values()) {
            try (NDScope scope = new NDScope()) {
                sumSquares += p.get().getGradient().square().sum().getFloat();
            }
        }
        return Math.sqrt(sumSquares);
    }

    /** Zeroes every gradient without updating (after an evaluation that recorded one). */
    void zeroGradients() {
        parameters.values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p.get()));
    }

    @Override
    public void close() {
        manager.close();
    }
}

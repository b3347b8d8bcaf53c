package io.s2edit.s2edit.inversion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.s2edit.engine.Scopes;

/**
 * Adam (Kingma and Ba) on one tensor, written out to match {@code torch.optim.Adam} with its
 * defaults (betas 0.9 / 0.999, eps 1e-8, no weight decay, no amsgrad) on CPU, where PyTorch takes
 * its single-tensor path. Per step k, in fp32 elementwise with the scalar factors in double:
 *
 * <pre>
 * m = m + (1 - beta1) (g - m)                    // exp_avg.lerp_(grad, 1 - beta1)
 * v = beta2 v + (1 - beta2) g g                   // exp_avg_sq.mul_(beta2).addcmul_(grad, grad)
 * denom = sqrt(v) / sqrt(1 - beta2^k) + eps
 * p = p + (-lr / (1 - beta1^k)) m / denom         // param.addcdiv_(exp_avg, denom, value=-step_size)
 * </pre>
 *
 * <p>Why not DJL's {@code Optimizer.adam()}: it keys its state by parameter id and creates it
 * lazily in whatever {@code NDScope} is open at the first update (which then closes it), and it
 * updates in place, which a leaf that records gradients refuses. Null-text inversion needs a
 * fresh optimiser per denoising step on one [1, 77, D] tensor, so ten lines are simpler and
 * exact. Each {@link #step} returns a new parameter array and keeps the moments in the manager
 * given at construction; the caller closes that manager (one per denoising step). Temporaries
 * are closed by the step's own {@code NDScope}.
 */
final class Adam {

    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    static final double EPS = 1e-8;

    private final double learningRate;
    private final NDManager state;
    private NDArray exponentialAverage; // m: [same as the parameter]
    private NDArray exponentialAverageSquared; // v
    private int steps;

    /** A fresh optimiser (zero moments, step 0) whose moments live in {@code state}. */
    Adam(double learningRate, NDManager state) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("Adam learning rate must be positive and finite, got " + learningRate);
        }
        this.learningRate = learningRate;
        this.state = state;
    }

    /**
     * One update: returns the new parameter, owned by {@code out}; {@code parameter} and
     * {@code gradient} are left as they are. Run it with autograd off (outside any
     * GradientCollector) so the update records no graph.
     */
    NDArray step(NDArray parameter, NDArray gradient, NDManager out) {
        if (!parameter.getShape().equals(gradient.getShape())) {
            throw new IllegalArgumentException("gradient shape " + gradient.getShape() + " differs from parameter shape "
                    + parameter.getShape());
        }
        try (NDScope scope = new NDScope()) {
            if (exponentialAverage == null) {
                exponentialAverage = Scopes.keep(state.zeros(parameter.getShape()), state);
                exponentialAverageSquared = Scopes.keep(state.zeros(parameter.getShape()), state);
            }
            steps++;
            NDArray g = gradient;
            // 1. First and second moments (PyTorch: lerp with weight 1 - beta1 < 0.5 is m + w (g - m)).
            NDArray m = exponentialAverage.add(g.sub(exponentialAverage).mul((float) (1 - BETA1)));
            NDArray v = exponentialAverageSquared.mul((float) BETA2).add(g.mul(g).mul((float) (1 - BETA2)));
            // 2. Bias corrections in double, as PyTorch computes them from the Python step count.
            double biasCorrection1 = 1 - Math.pow(BETA1, steps);
            double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(BETA2, steps));
            double stepSize = learningRate / biasCorrection1;
            // 3. p + value * m / denom, evaluated (value * m) / denom as PyTorch's addcdiv kernel.
            NDArray denominator = v.sqrt().div((float) biasCorrection2Sqrt).add((float) EPS);
            NDArray updated = parameter.add(m.mul((float) -stepSize).div(denominator));
            exponentialAverage.close();
            exponentialAverageSquared.close();
            exponentialAverage = Scopes.keep(m, state);
            exponentialAverageSquared = Scopes.keep(v, state);
            return Scopes.keep(updated, out);
        }
    }

    /** Updates taken so far. */
    int steps() {
        return steps;
    }
}

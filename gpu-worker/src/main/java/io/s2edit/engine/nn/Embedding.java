package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;

/**
 * {@code torch.nn.Embedding}: a lookup table [rows, dim]. The table may grow (new tokens such as
 * {@code [I]}), so the row count is the declared one until {@link #append} replaces the value.
 */
public final class Embedding extends Module {

    private final Parameter weight;

    public Embedding(long rows, long dim) {
        this.weight = parameter("weight", rows, dim);
    }

    public Parameter weight() {
        return weight;
    }

    /** ids [...] (int64) -> [..., dim]; differentiable with respect to the table. */
    public NDArray forward(NDArray ids) {
        return ai.djl.nn.core.Embedding.embedding(ids, weight.get(), SparseFormat.DENSE).singletonOrThrow();
    }

    /** Number of rows currently in the table. */
    public long rows() {
        return weight.get().getShape().get(0);
    }
}

package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A learnable tensor with a fixed expected shape. The value is set by the checkpoint loader (or by
 * code that grows it, such as adding token embeddings) and owned by the model's manager.
 */
public final class Parameter {

    private final Shape shape;
    private NDArray value;

    Parameter(Shape shape) {
        this.shape = shape;
    }

    /** The shape the module's config implies. */
    public Shape shape() {
        return shape;
    }

    public NDArray get() {
        if (value == null) {
            throw new IllegalStateException("parameter " + shape + " was never loaded");
        }
        return value;
    }

    public boolean isSet() {
        return value != null;
    }

    /** Replaces the value; the caller keeps ownership of the previous one. */
    public void set(NDArray newValue) {
        this.value = newValue;
    }
}

package io.s2edit.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/** Helpers for moving results out of a per-step {@link NDScope}. */
public final class Scopes {

    private Scopes() {
    }

    /** Keeps {@code array} alive past the enclosing scope, owned by {@code owner}. */
    public static NDArray keep(NDArray array, NDManager owner) {
        NDScope.unregister(array);
        array.attach(owner);
        return array;
    }
}

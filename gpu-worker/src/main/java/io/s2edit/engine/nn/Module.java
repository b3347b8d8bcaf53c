package io.s2edit.engine.nn;

import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A named tree of parameters, keyed exactly like the diffusers / transformers checkpoint
 * ({@code down_blocks.0.resnets.1.conv1.weight}), so that one generic loader maps every tensor.
 * Subclasses declare parameters and children in their constructors, from their config; they never
 * hold NDArrays of their own besides parameters, so a whole model is one {@link #parameters()} map.
 */
public abstract class Module {

    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    /** Declares a parameter of the given shape under {@code name}. */
    protected final Parameter parameter(String name, long... shape) {
        Parameter p = new Parameter(new Shape(shape));
        if (parameters.putIfAbsent(name, p) != null || children.containsKey(name)) {
            throw new IllegalStateException("duplicate member '" + name + "' in " + getClass().getSimpleName());
        }
        return p;
    }

    /** Registers a child module under {@code name} and returns it. */
    protected final <M extends Module> M child(String name, M module) {
        if (children.putIfAbsent(name, module) != null || parameters.containsKey(name)) {
            throw new IllegalStateException("duplicate member '" + name + "' in " + getClass().getSimpleName());
        }
        return module;
    }

    /** Direct children in declaration order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter of this tree, by its full dotted checkpoint key. */
    public final Map<String, Parameter> parameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        visitParameters("", out::put);
        return out;
    }

    /** Every module of this tree, by its dotted path ("" for this one). */
    public final Map<String, Module> modules() {
        Map<String, Module> out = new LinkedHashMap<>();
        visitModules("", out::put);
        return out;
    }

    private void visitParameters(String prefix, BiConsumer<String, Parameter> visitor) {
        parameters.forEach((name, p) -> visitor.accept(prefix + name, p));
        children.forEach((name, m) -> m.visitParameters(prefix + name + ".", visitor));
    }

    private void visitModules(String path, BiConsumer<String, Module> visitor) {
        visitor.accept(path, this);
        children.forEach((name, m) -> m.visitModules(path.isEmpty() ? name : path + "." + name, visitor));
    }
}

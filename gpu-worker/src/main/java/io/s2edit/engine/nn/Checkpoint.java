package io.s2edit.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.s2edit.engine.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Loads a module's parameters from a safetensors file, strictly: every declared parameter must be
 * present with exactly the declared shape, and every tensor of the file must be claimed by a
 * parameter (unless {@code ignored} accepts it, e.g. buffers such as CLIP's position_ids). All
 * problems are collected and reported in one error naming each tensor with its expected and
 * actual shape.
 */
public final class Checkpoint {

    private Checkpoint() {
    }

    /**
     * Loads {@code file} into {@code module} with arrays owned by a new sub-manager of
     * {@code parent}, which is returned for the model to keep and close; on any failure the
     * sub-manager is closed before the exception propagates, so a failed load owns nothing.
     */
    public static NDManager loadOwned(Module module, Path file, NDManager parent, Predicate<String> ignored)
            throws IOException {
        return loadOwned(file, parent, tensors -> module, ignored);
    }

    /**
     * As {@link #loadOwned(Module, Path, NDManager, Predicate)}, loading into the module that
     * {@code target} picks once the file is open (e.g. by how its keys are prefixed).
     */
    public static NDManager loadOwned(Path file, NDManager parent, Function<SafeTensors, ? extends Module> target,
            Predicate<String> ignored) throws IOException {
        NDManager manager = parent.newSubManager();
        try (SafeTensors tensors = SafeTensors.open(file)) {
            load(target.apply(tensors), tensors, manager, ignored);
            return manager;
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Loads {@code file} into {@code module}; arrays are owned by {@code manager}. */
    public static void load(Module module, Path file, NDManager manager, Predicate<String> ignored) throws IOException {
        try (SafeTensors tensors = SafeTensors.open(file)) {
            load(module, tensors, manager, ignored);
        }
    }

    public static void load(Module module, SafeTensors tensors, NDManager manager, Predicate<String> ignored) {
        Map<String, Parameter> parameters = module.parameters();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
            String key = entry.getKey();
            Shape expected = entry.getValue().shape();
            if (!tensors.contains(key)) {
                problems.add("missing tensor '" + key + "', expected shape " + expected);
                continue;
            }
            Shape actual = tensors.info(key).shape();
            if (!actual.equals(expected)) {
                problems.add("tensor '" + key + "' has shape " + actual + ", expected " + expected);
            }
        }
        Set<String> unexpected = new LinkedHashSet<>(tensors.names());
        unexpected.removeAll(parameters.keySet());
        unexpected.removeIf(ignored);
        for (String key : unexpected) {
            problems.add("unexpected tensor '" + key + "' " + tensors.info(key).shape() + " (no such parameter in "
                    + module.getClass().getSimpleName() + ")");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(tensors.path() + " does not match the " + module.getClass().getSimpleName()
                    + " built from its config:\n  " + String.join("\n  ", problems));
        }
        for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
            NDArray value = tensors.load(entry.getKey(), manager);
            value.setName(entry.getKey());
            entry.getValue().set(value);
        }
    }

    /** Turns gradient recording on or off for every parameter of {@code module}. */
    public static void setTrainable(Module module, boolean trainable) {
        module.parameters().values().forEach(p -> p.get().setRequiresGradient(trainable));
    }
}

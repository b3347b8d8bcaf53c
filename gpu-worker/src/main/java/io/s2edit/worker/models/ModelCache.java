package io.s2edit.worker.models;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A bounded, least-recently-used set of fine-tuned models keyed by fine-tune job id. The cache
 * owns what it holds: an evicted model is closed (its native memory freed). Capacity 0 keeps
 * nothing.
 *
 * <p>A model handed out by {@link #take} leaves the cache until it is {@link #put} back, so an
 * eviction can never close a model a job is using.
 */
public final class ModelCache<M extends AutoCloseable> {

    private final int capacity;
    /** Access order: the first entry is the least recently used. */
    private final LinkedHashMap<UUID, M> models = new LinkedHashMap<>(16, 0.75f, true);

    public ModelCache(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("model cache size must be >= 0, got " + capacity);
        }
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** Removes and returns the model of {@code fineTuneJobId}, if cached; the caller owns it until {@link #put}. */
    public synchronized Optional<M> take(UUID fineTuneJobId) {
        return Optional.ofNullable(models.remove(fineTuneJobId));
    }

    /**
     * Keeps {@code model} as the most recently used, closing the least recently used beyond
     * capacity (or {@code model} itself when the capacity is 0). A model already cached under the
     * key is replaced and closed.
     */
    public synchronized void put(UUID fineTuneJobId, M model) {
        if (capacity == 0) {
            closeQuietly(model);
            return;
        }
        M previous = models.put(fineTuneJobId, model);
        if (previous != null && previous != model) {
            closeQuietly(previous);
        }
        evictDownTo(capacity);
    }

    /**
     * Closes least recently used models until one more fits: called before loading a model, so a
     * GPU never holds capacity + 1 models.
     */
    public synchronized void makeRoomForOne() {
        evictDownTo(Math.max(0, capacity - 1));
    }

    /** The cached keys, least recently used first. */
    public synchronized List<UUID> keys() {
        return new ArrayList<>(models.keySet());
    }

    public synchronized void clear() {
        evictDownTo(0);
    }

    private void evictDownTo(int size) {
        Iterator<Map.Entry<UUID, M>> it = models.entrySet().iterator();
        while (models.size() > size && it.hasNext()) {
            M m = it.next().getValue();
            it.remove();
            closeQuietly(m);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // a model that fails to close has nothing left worth keeping
        }
    }
}
